// Pure parts of the local provider: names, images, LXC config, user data, firewall names.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chainName } from '../../src/providers/local/firewall.ts';
import { resolveImage } from '../../src/providers/local/image.ts';
import { macFor, renderLxcConfig } from '../../src/providers/local/lxcconfig.ts';
import { renderSources } from '../../src/providers/local/mirror.ts';
import { containerName } from '../../src/providers/local/naming.ts';
import { renderUserData } from '../../src/providers/shared/userdata.ts';

test('container names are readable, valid host names, hashed when lossy or long', () => {
  assert.equal(containerName('prod', 'web-1'), 'fl-prod-web-1');
  const a = containerName('My Stack', 'web_1');
  assert.match(a, /^fl-my-stack-web-1-[0-9a-f]{8}$/);
  const long = containerName('s'.repeat(80), 'n');
  assert.ok(long.length <= 63 && /^[a-z0-9-]+$/.test(long));
});

test('images resolve by family and version regex, or name what exists', () => {
  assert.equal(resolveImage({}).id, 'debian-12');
  assert.equal(resolveImage({ image: { osFamily: 'debian', osVersionMatches: '^12' } }).id, 'debian-12');
  assert.throws(
    () => resolveImage({ image: { osFamily: 'ubuntu', osVersionMatches: '12.04' } }),
    /no image matches osFamily=ubuntu osVersionMatches=12.04; available: debian 12 \(debian-12\)/,
  );
  assert.throws(() => resolveImage({ image: { imageId: 'centos-7' } }), /imageId=centos-7/);
});

test('LXC config: fixed MAC from the address, static address, limits', () => {
  assert.equal(macFor('10.77.1.255'), '02:00:0a:4d:01:ff');
  const config = renderLxcConfig({
    hostname: 'fl-s-n', rootfs: '/base', delta: '/d', address: '10.77.0.9', logFile: '/l', hardware: { minRam: 512, minCores: 2 },
  });
  assert.match(config, /^lxc\.rootfs\.path = overlay:\/base:\/d$/m);
  assert.match(config, /^lxc\.net\.0\.ipv4\.address = 10\.77\.0\.9\/16$/m);
  assert.match(config, /^lxc\.net\.0\.hwaddr = 02:00:0a:4d:00:09$/m);
  assert.match(config, /memory\.(limit_in_bytes|max) = 536870912$/m);
});

test('user data: objects become #cloud-config YAML; more than 32 KiB is refused', () => {
  const local = { provider: 'local', measure: 'bytes' } as const;
  assert.equal(renderUserData({}, local), undefined);
  assert.equal(renderUserData({ userData: { runcmd: ['true'] } }, local), '#cloud-config\nruncmd:\n  - "true"\n');
  assert.throws(() => renderUserData({ userData: 'x'.repeat(32 * 1024 + 1) }, local), /^ProviderError: local: user data is 32769 bytes; the limit is 32768 \(32 KiB\)$/);
});

test('firewall chain names are short and stable; sources follow the image codename', () => {
  assert.match(chainName('fl-x-y'), /^FL-[0-9a-f]{12}$/);
  assert.equal(chainName('fl-x-y'), chainName('fl-x-y'));
  const text = renderSources([{ uri: 'http://m/debian', suites: ['trixie', 'trixie-updates'], components: ['main'] }], 'trixie', 'bookworm');
  assert.match(text, /^Suites: bookworm bookworm-updates$/m);
});
