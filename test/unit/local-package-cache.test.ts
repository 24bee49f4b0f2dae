// The local provider's package cache, its pure parts: the option, where it lives, its
// apt-cacher-ng config, and the node-side proxy script, run with the real sh against a
// port that answers and one that does not.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { POLICY_SCRIPT } from '../../src/providers/local/acng-install.ts';
import { aptProxyFiles, APT_CONF, PROXY_SCRIPT } from '../../src/providers/local/apt-proxy.ts';
import { httpOrigins } from '../../src/providers/local/mirror.ts';
import { network } from '../../src/providers/local/network.ts';
import { optionsSchema } from '../../src/providers/local/options.ts';
import { packageCacheFor } from '../../src/providers/local/package-cache-paths.ts';
import { renderConfig } from '../../src/providers/local/package-cache.ts';

test('packageCache: on by default on port 3143, false turns it off, a port may be given', () => {
  for (const ok of [{}, { packageCache: true }, { packageCache: false }, { packageCache: { port: 3200 } }]) assert.ok(optionsSchema.safeParse(ok).success, JSON.stringify(ok));
  for (const bad of [{ packageCache: { port: 0 } }, { packageCache: { prot: 1 } }, { packageCache: 'yes' }]) assert.ok(!optionsSchema.safeParse(bad).success, JSON.stringify(bad));
  const net = network('flt-9', '10.78.5.0/24');
  assert.equal(packageCacheFor('/s', net, false), undefined);
  assert.deepEqual(packageCacheFor('/s', net, undefined), {
    address: '10.78.5.1', port: 3143, dir: '/s/package-cache/flt-9', varDir: '/s/package-cache/flt-9/var',
    pidFile: '/s/package-cache/flt-9/var/pid', logFile: '/s/package-cache/flt-9/var/apt-cacher.log', cacheDir: '/var/cache/forklift/packages/flt-9',
  });
  assert.equal(packageCacheFor('/s', net, { port: 3200 })!.port, 3200);
});

test('the cache binds the gateway alone and serves only the mirrors it is given', () => {
  const cache = packageCacheFor('/s', network(), true)!;
  const conf = renderConfig(cache, ['http://m.example', 'http://n.example:8080']);
  assert.match(conf, /^BindAddress: 10\.77\.0\.1$/m);
  assert.match(conf, /^Port: 3143$/m);
  assert.match(conf, /^ForceManaged: 1$/m);
  assert.match(conf, /^Remap-fl[0-9a-f]{8}: m\.example ; http:\/\/m\.example$/m);
  assert.match(conf, /^Remap-fl[0-9a-f]{8}: n\.example:8080 ; http:\/\/n\.example:8080$/m);
  assert.match(conf, /^PidFile: \/s\/package-cache\/flbr0\/var\/pid$/m);
  assert.doesNotMatch(conf, /0\.0\.0\.0|ReportPage/);
  const sources = [{ uri: 'http://m.example/debian', suites: [], components: [] }, { uri: 'http://m.example/debian-security/', suites: [], components: [] }, { uri: 'https://s.example/x', suites: [], components: [] }];
  assert.deepEqual(httpOrigins(sources), ['http://m.example'], 'https is not cached; one origin per host');
});

test('a node asks the cache for its mirrors while the cache answers, else goes straight', async () => {
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const port = (server.address() as { port: number }).port;
  const cache = { ...packageCacheFor('/s', network(), { port })!, address: '127.0.0.1' };
  const files = aptProxyFiles(cache, ['http://m.example', 'http://n.example:8080']);
  assert.match(files[APT_CONF]![0], new RegExp(`^Acquire::http::Proxy-Auto-Detect "/${PROXY_SCRIPT}";$`, 'm'));
  assert.equal(files[PROXY_SCRIPT]![1], 0o755);
  const dir = mkdtempSync(join(tmpdir(), 'fl-proxy-'));
  const script = join(dir, 'apt-proxy');
  writeFileSync(script, files[PROXY_SCRIPT]![0], { mode: 0o755 });
  const ask = (url: string) => spawnSync(script, [url], { encoding: 'utf8' }).stdout;
  try {
    assert.equal(ask('http://m.example/debian/dists/bookworm/InRelease'), `http://127.0.0.1:${port}\n`);
    assert.equal(ask('http://n.example:8080/pool/x.deb'), `http://127.0.0.1:${port}\n`);
    assert.equal(ask('http://m.example.evil/debian/x'), 'DIRECT\n', 'a prefix of the host name is another host');
    assert.equal(ask('http://10.77.0.1:8000/repo/InRelease'), 'DIRECT\n', 'other repositories go straight');
    await new Promise((done) => server.close(done));
    assert.equal(ask('http://m.example/debian/dists/bookworm/InRelease'), 'DIRECT\n', 'the cache is down');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.deepEqual(aptProxyFiles(cache, []), {}, 'no plain-http mirror: nothing to send through the cache');
});

test('while forklift installs apt-cacher-ng, its policy denies that service alone', () => {
  const policy = (...args: string[]) => spawnSync('sh', ['-c', POLICY_SCRIPT, 'policy-rc.d', ...args]).status;
  assert.equal(policy('apt-cacher-ng', 'start'), 101);
  assert.equal(policy('apt-cacher-ng.service', 'start'), 101);
  assert.equal(policy('nginx', 'start'), 0);
});
