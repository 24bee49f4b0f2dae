// The README's first command on a host network that is not prepared yet: a bridge,
// subnet, state folder of this test's own (the shared flbr0 is never touched), with the
// host package step forced (hostPackages: 'always': apt-get runs although the packages
// are there) and apt's lock held by another process when it starts. The 5 nodes are
// created at once; the host is prepared once, apt waits for its lock, every node is made,
// and the network's package cache serves the webs' packages.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { network, packageCacheFor } from '../../src/providers/local/index.ts';
import type { OperationResult } from '../../src/index.ts';
import { BIN, byGroup, ROOT, servedBy, stderrLine } from './helpers.ts';
import { cacheTransfers, packageCacheDaemon, removeNetwork, testStack } from './nodes.ts';

// This file's own network: a name with forklift's prefix, a /24 of 10.78/16 picked by pid.
const net = network(`flp${process.pid}`, `10.78.${process.pid % 256}.0/24`);
const stateDir = mkdtempSync(join(tmpdir(), 'fl-prep-'));
const providerOptions = { bridge: net.bridge, subnet: net.subnet, stateDir };

const { stack, dir } = testStack('tprep', (name) => `import farm from '${ROOT}/examples/webfarm/forklift.config.ts';
export default { ...farm, stack: '${name}', provider: { name: 'local', hostPackages: 'always', ...${JSON.stringify(providerOptions)} } };
`);

/** Remove what this file made on the host, by name: its nodes, package cache, NAT rule, chains, bridge and state folder. */
after(() => removeNetwork(providerOptions, [stack]));

/** Hold apt's lists lock (a POSIX lock, as apt takes it) until the returned release is called. */
async function holdAptLock(): Promise<{ holder: ChildProcess; release: () => Promise<void> }> {
  const holder = spawn('python3', ['-c', [
    'import fcntl, os, sys',
    "fd = os.open('/var/lib/apt/lists/lock', os.O_RDWR | os.O_CREAT, 0o640)",
    'fcntl.lockf(fd, fcntl.LOCK_EX)',
    "print('held', flush=True)",
    'sys.stdin.read()',
  ].join('\n')], { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise<void>((held, failed) => {
    holder.stdout!.once('data', () => held());
    holder.once('exit', (code) => failed(new Error(`python3 could not hold apt's lock (exit ${code})`)));
  });
  const exited = new Promise<void>((done) => holder.once('exit', () => done()));
  return { holder, release: async () => { holder.stdin!.end(); await exited; } };
}

describe('a host network that is not prepared yet', { timeout: 15 * 60_000 }, () => {
  it('converge lb=1 web=4 prepares the host once, waits for apt, and makes every node', async () => {
    assert.equal(existsSync(`/sys/class/net/${net.bridge}`), false, 'the bridge exists before the test');
    const apt = await holdAptLock();
    const child = spawn(process.execPath, [BIN, 'converge', '--json', 'lb=1', 'web=4'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    const code = new Promise<number | null>((done) => child.on('close', done));
    try {
      await stderrLine(child, new RegExp(`waiting for apt's lock /var/lib/apt/lists/lock, held by process ${apt.holder.pid} `));
    } finally {
      await apt.release();
    }
    assert.equal(await code, 0, `converge failed:\n${stderr}`);
    const result = JSON.parse(stdout) as OperationResult;
    assert.equal(result.ok, true);
    assert.deepEqual([byGroup(result, 'lb').length, byGroup(result, 'web').length], [1, 4]);
    assert.ok(result.nodes.every((n) => n.created && n.address.startsWith(net.subnet.split('.').slice(0, 3).join('.'))), 'nodes on the test network');
    // One preparation for five nodes created at once: one package step, one bridge.
    const lines = (re: RegExp) => stderr.split('\n').filter((l) => re.test(l));
    assert.equal(lines(/^· local: running the host package step /).length, 1, stderr);
    assert.equal(lines(/^· local: host packages ready$/).length, 1, stderr);
    assert.deepEqual(lines(/^· local: creating bridge /), [`· local: creating bridge ${net.bridge} ${net.gateway}/${net.prefixLen}`]);
    assert.doesNotMatch(stderr, /Could not get lock/);
    // The farm works over the new network (the nodes reached the Debian mirror through its NAT).
    assert.deepEqual(await servedBy(byGroup(result, 'lb')[0]!.address), new Set(byGroup(result, 'web').map((n) => n.name)));
    // The network's own package cache: started once, on the bridge's address alone; the four
    // webs' nginx came from the mirror once and from the cache four times.
    const cache = packageCacheFor(stateDir, net, true)!;
    assert.equal(lines(/^· local: package cache: apt-cacher-ng on /).length, 1, stderr);
    assert.deepEqual(packageCacheDaemon(cache).listening, [`${net.gateway}:${cache.port}`]);
    const nginx = cacheTransfers(cache, '/nginx_[^/]*\\.deb$');
    assert.deepEqual(nginx.map(([dir]) => dir).sort(), ['I', 'O', 'O', 'O', 'O'], JSON.stringify(nginx));
    assert.equal(existsSync('/sys/class/net/flbr0'), true, 'the shared bridge is still there');
  });
});
