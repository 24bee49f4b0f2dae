// The local provider's package cache on real nodes, on a network of this file's own (its
// bridge, subnet, state folder and so its own, empty cache; the shared flbr0 is never
// touched): two nodes install the same package, which comes from the mirror once and
// from the cache twice, with package lists the host fetched once for both; with the cache killed a node still installs (straight from the
// mirror), and the next run starts the cache again.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { network, packageCacheFor } from '../../src/providers/local/index.ts';
import type { OperationResult } from '../../src/index.ts';
import { waitFor } from './helpers.ts';
import { cacheTransfers, packageCacheDaemon, removeNetwork, ssh, testStack } from './nodes.ts';

// A /24 of 10.79/16 picked by pid (host-prepare.test.ts takes 10.78/16).
const net = network(`flc${process.pid}`, `10.79.${process.pid % 256}.0/24`);
const stateDir = mkdtempSync(join(tmpdir(), 'fl-cache-'));
// Searchable by others, as /var/lib/forklift is: the cache then runs as the apt-cacher-ng user.
chmodSync(stateDir, 0o755);
const providerOptions = { bridge: net.bridge, subnet: net.subnet, stateDir };
const cache = packageCacheFor(stateDir, net, true)!;
/** The network's own client key (its state folder's). */
const key = join(stateDir, 'ssh/id_ed25519');

const { stack, cli } = testStack('tpc', (name) => `import { defineConfig, groupSpec, packages, plan } from 'forklift';
const wanted = (process.env.FL_TEST_PACKAGES ?? 'tree').split(' ');
export default defineConfig({
  stack: '${name}',
  provider: { name: 'local', ...${JSON.stringify(providerOptions)} },
  groups: [groupSpec('app', { phases: { configure: plan(packages(...wanted)) } })],
});
`);

after(() => removeNetwork(providerOptions, [stack]));

const pidOf = () => packageCacheDaemon(cache).pid;
const transfers = (pkg: string) => cacheTransfers(cache, `/${pkg}_[^/]*\\.deb$`);
const listTransfers = (name: string) => cacheTransfers(cache, `/${name}$`);
const alive = (pid: number) => spawnSync('kill', ['-0', String(pid)]).status === 0;

describe('the package cache of local nodes', { concurrency: false }, () => {
  let nodes: OperationResult['nodes'];

  it('two nodes installing one package: fetched from the mirror once, served twice', async () => {
    const run = await cli(['converge', '--json', 'app=2']);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout) as OperationResult;
    assert.equal(result.ok, true, JSON.stringify(result.nodes.map((n) => n.error)));
    nodes = result.nodes;
    assert.match(run.stderr, new RegExp(`^· local: package cache: apt-cacher-ng on ${net.gateway}:${cache.port}, cache ${cache.cacheDir}, log ${cache.logFile}$`, 'm'));
    const user = spawnSync('ps', ['-o', 'user=', '-p', String(pidOf())], { encoding: 'utf8' }).stdout.trim();
    assert.equal(user, 'apt-cacher-ng', 'runs as the package\'s unprivileged user');
    assert.deepEqual(packageCacheDaemon(cache).listening, [`${net.gateway}:${cache.port}`], 'listens on the bridge address alone');
    const tree = transfers('tree');
    assert.deepEqual(tree.filter(([dir]) => dir === 'I').length, 1, JSON.stringify(tree));
    assert.deepEqual(tree.filter(([dir]) => dir === 'O').map(([, client]) => client).sort(), nodes.map((n) => n.address).sort());
    for (const n of nodes) assert.equal(ssh(n, 'tree --version >/dev/null && echo ok', { key }).stdout, 'ok\n');
    // The nodes started with package lists the host fetched (within the last 10 minutes), so
    // neither ran apt-get update: no list was served to a node.
    const toNodes = listTransfers('InRelease').filter(([dir, client]) => dir === 'O' && client !== net.gateway);
    assert.deepEqual(toNodes, []);
    for (const n of nodes) assert.match(ssh(n, 'ls /var/lib/apt/lists/', { key }).stdout, /_main_binary-amd64_Packages\n/);
  });

  it('a node installs with the cache killed; the next run starts it again and it serves', async () => {
    const killed = pidOf();
    process.kill(killed, 'SIGKILL');
    await waitFor('the killed cache to be gone', () => (alive(killed) ? undefined : true));
    const direct = ssh(nodes[0]!, 'DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends dos2unix 2>&1', { key });
    assert.equal(direct.code, 0, direct.stdout + direct.stderr);
    assert.deepEqual(transfers('dos2unix'), [], 'the dead cache served nothing');

    // A lift prepares no host, but finds the cache gone and starts it again.
    const lift = await cli(['lift', '--json'], { FL_TEST_PACKAGES: 'tree dos2unix' });
    assert.equal(lift.code, 0, lift.stderr);
    assert.match(lift.stderr, new RegExp(`^· local: package cache: apt-cacher-ng on ${net.gateway}:${cache.port} had stopped; starting it again$`, 'm'));
    const restarted = pidOf();
    assert.notEqual(restarted, killed);
    assert.ok(alive(restarted));
    // The second node had no dos2unix yet: it came from the mirror once, through the cache.
    assert.deepEqual(transfers('dos2unix'), [['I', nodes[1]!.address], ['O', nodes[1]!.address]]);
  });
});
