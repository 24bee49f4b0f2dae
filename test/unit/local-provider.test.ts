// Pure parts of the local provider: names, images, LXC config, user data, firewall names.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chainName } from '../../src/providers/local/firewall.ts';
import { resolveImage } from '../../src/providers/local/image.ts';
import { macFor, renderLxcConfig } from '../../src/providers/local/lxcconfig.ts';
import { renderSources } from '../../src/providers/local/mirror.ts';
import { containerName, isStackContainer } from '../../src/providers/local/naming.ts';
import { network } from '../../src/providers/local/network.ts';
import { renderUserData } from '../../src/providers/shared/userdata.ts';

test('container names are readable, valid host names, hashed when lossy or long', () => {
  assert.equal(containerName('prod', 'web-1'), 'fl4-prod-web-1');
  const a = containerName('My Stack', 'web_1');
  assert.match(a, /^flh-my-stack-web-1-[0-9a-f]{10}$/);
  const long = containerName('s'.repeat(80), 'n');
  assert.ok(long.length <= 63 && /^flh-[a-z0-9-]+$/.test(long));
  assert.ok(containerName('a'.repeat(24), `${'g'.repeat(20)}-${'f'.repeat(12)}`).length <= 63, 'the longest plain names fit');
});

test('distinct (stack, name) pairs never share a container name', () => {
  assert.notEqual(containerName('a', 'b-web-1'), containerName('a-b', 'web-1'));
  assert.equal(containerName('a', 'b-web-1'), 'fl1-a-b-web-1');
  assert.equal(containerName('a-b', 'web-1'), 'fl3-a-b-web-1');
  // Exhaustively over short names: no two pairs collide, and each name says its stack.
  const parts = ['a', 'b', 'a-b', 'b-a', 'a-b-c', 'ab', '1', 'a1-b'];
  const seen = new Map<string, string>();
  for (const stack of parts)
    for (const name of parts) {
      const c = containerName(stack, name);
      assert.equal(seen.get(c), undefined, `${stack}/${name} and ${seen.get(c)} share ${c}`);
      seen.set(c, `${stack}/${name}`);
      assert.ok(isStackContainer(stack, c));
      for (const other of parts) if (other !== stack) assert.ok(!isStackContainer(other, c), `${c} taken for stack ${other}`);
    }
  // A hashed name never passes for a plain one.
  assert.ok(!isStackContainer('my', containerName('My', 'x')));
});

test('networks: gateway, node addresses and chain from the subnet', () => {
  const d = network();
  assert.deepEqual([d.bridge, d.gateway, d.prefixLen, d.size, d.mainChain], ['flbr0', '10.77.0.1', 16, 65533, 'FORKLIFT']);
  assert.equal(d.addressAt(0), '10.77.0.2');
  assert.equal(d.addressAt(254), '10.77.1.0');
  const small = network('flt-9', '10.78.5.0/24');
  assert.deepEqual([small.gateway, small.size, small.addressAt(0), small.addressAt(small.size - 1), small.mainChain], ['10.78.5.1', 253, '10.78.5.2', '10.78.5.254', 'FORKLIFT-flt-9']);
  assert.throws(() => network('x', '10.78.5.1/24'), /host bits set; did you mean 10\.78\.5\.0\/24\?/);
  assert.throws(() => network('x', '10.300.0.0/16'), /not an IPv4 CIDR/);
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
    hostname: 'fl1-s-n', rootfs: '/base', delta: '/d', address: '10.77.0.9', logFile: '/l', net: network(), hardware: { minRam: 512, minCores: 2 },
  });
  assert.match(config, /^lxc\.net\.0\.link = flbr0$/m);
  assert.match(config, /^lxc\.net\.0\.ipv4\.gateway = 10\.77\.0\.1$/m);
  const other = renderLxcConfig({ hostname: 'h', rootfs: '/b', delta: '/d', address: '10.78.5.7', logFile: '/l', net: network('flt-9', '10.78.5.0/24') });
  assert.match(other, /^lxc\.net\.0\.link = flt-9$/m);
  assert.match(other, /^lxc\.net\.0\.ipv4\.address = 10\.78\.5\.7\/24$/m);
  assert.match(other, /^lxc\.net\.0\.hwaddr = 02:00:0a:4e:05:07$/m);
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

test('a container whose LXC monitor listens is found from /proc/net/unix alone', async () => {
  const { createServer } = await import('node:net');
  const { hasLiveMonitor } = await import('../../src/providers/local/monitor.ts');
  const lxcPath = `/tmp/fl-unit-${process.pid}/lxc`;
  const server = createServer();
  await new Promise<void>((done) => server.listen(`\0${lxcPath}/fl1-s-web-1/command`, done));
  try {
    assert.equal(hasLiveMonitor(lxcPath, 'fl1-s-web-1'), true);
    assert.equal(hasLiveMonitor(`${lxcPath}/`, 'fl1-s-web-1'), true);
    assert.equal(hasLiveMonitor(lxcPath, 'fl1-s-web'), false, 'a prefix of the name is another container');
    assert.equal(hasLiveMonitor('/tmp/other/lxc', 'fl1-s-web-1'), false);
  } finally {
    await new Promise((done) => server.close(done));
  }
  assert.equal(hasLiveMonitor(lxcPath, 'fl1-s-web-1'), false, 'gone with its monitor');
});
