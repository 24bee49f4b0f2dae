// What each node runs, through the fake transport: the digest of each phase's plan recorded
// in the node's tags with when and by whom, `nodes` telling nodes whose code is behind from
// the tags alone (no connection), stable across listing order and --limit, moving when what
// a plan reads changes; `lift --stale` runs only on those.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { converge, defineConfig, file, groupSpec, haproxy, lift, nodes, nodesWithRole, plan, type NodeListing, type StackConfig } from '../../src/index.ts';
import { operator } from '../../src/engine/applied.ts';
import { fakeCloud, type FakeCloud } from '../fake/cloud.ts';

function farm(cloud: FakeCloud, version: string): StackConfig {
  return defineConfig({
    stack: 'code',
    provider: cloud.provider,
    groups: [
      groupSpec('web', { roles: ['web'], phases: { configure: plan((ctx) => file('/var/www/index.html', { content: `${version} ${ctx.node.name}\n` })) } }),
      groupSpec('lb', { phases: { configure: haproxy.addBackend('web', { servers: nodesWithRole('web'), port: 80 }) } }),
    ],
  });
}

const status = (list: NodeListing[]) => Object.fromEntries(list.map((n) => [n.name, n.code?.status]));
const behind = (list: NodeListing[]) => list.filter((n) => n.code?.status === 'behind').map((n) => n.name).sort();

describe('what each node runs', () => {
  test('converge records each node\'s plan digest, when and by whom; nodes shows them current without connecting', async () => {
    const cloud = fakeCloud();
    const made = await converge(farm(cloud, 'v1'), { lb: 1, web: 3 }, { transport: cloud.transport });
    assert.equal(made.ok, true);
    const connections = [...cloud.hosts.values()].reduce((n, h) => n + h.connections, 0);
    const list = await nodes(farm(cloud, 'v1'), { transport: cloud.transport });
    assert.equal([...cloud.hosts.values()].reduce((n, h) => n + h.connections, 0), connections, 'nodes connected to a node');
    assert.ok(list.every((n) => n.code?.status === 'current'), JSON.stringify(status(list)));
    for (const n of list) {
      assert.match(n.tags['forklift-plan-configure'] ?? '', /^[0-9a-f]{16}$/);
      assert.equal(n.code?.appliedBy, operator());
      assert.ok(Date.parse(n.code!.appliedAt!) > Date.now() - 60_000);
    }
  });

  test('a changed page puts the webs behind, not the lb; --limit brings one current; --stale updates the rest only', async () => {
    const cloud = fakeCloud();
    await converge(farm(cloud, 'v1'), { lb: 1, web: 3 }, { transport: cloud.transport });
    const v2 = farm(cloud, 'v2');
    const list = await nodes(v2, { transport: cloud.transport });
    const webs = list.filter((n) => n.group === 'web').map((n) => n.name).sort();
    assert.deepEqual(behind(list), webs);
    assert.deepEqual(list.find((n) => n.code?.status === 'behind')?.code?.behind, ['configure']);
    await lift(v2, { transport: cloud.transport, limit: [webs[0]!] });
    assert.deepEqual(behind(await nodes(v2, { transport: cloud.transport })), webs.slice(1), 'a run on one node records the same digest nodes computes');
    const scripts = webs.map((w) => cloud.host(w).scripts.length);
    const stale = await lift(v2, { transport: cloud.transport, stale: true });
    assert.deepEqual(stale.nodes.map((n) => n.name).sort(), webs.slice(1));
    assert.deepEqual(webs.map((w, i) => cloud.host(w).scripts.length - scripts[i]!), [0, 1, 1]);
    assert.deepEqual(behind(await nodes(v2, { transport: cloud.transport })), []);
    const none = await lift(v2, { transport: cloud.transport, stale: true });
    assert.deepEqual(none.nodes, []);
  });

  test('a no-op lift writes no tag; a reader of nodesWithRole is behind once web nodes came, until it is configured', async () => {
    const cloud = fakeCloud();
    const config = farm(cloud, 'v1');
    await converge(config, { lb: 1, web: 2 }, { transport: cloud.transport });
    const writes = cloud.tagWrites;
    await lift(config, { transport: cloud.transport });
    assert.equal(cloud.tagWrites, writes, 'a no-op lift wrote tags');
    // Two webs made by a converge of the web group alone: the lb is not configured, and is behind.
    await converge(config, { web: 4 }, { transport: cloud.transport, phases: [] });
    const list = await nodes(config, { transport: cloud.transport });
    const lb = list.find((n) => n.group === 'lb')!;
    assert.equal(lb.code?.status, 'behind');
    const fresh = list.filter((n) => n.group === 'web' && !n.tags['forklift-plan-configure']);
    assert.equal(fresh.length, 2);
    assert.ok(fresh.every((n) => n.code?.status === 'behind'), 'never configured: behind');
    const stale = await lift(config, { transport: cloud.transport, stale: true });
    assert.deepEqual(stale.nodes.map((n) => n.name).sort(), [lb.name, ...fresh.map((n) => n.name)].sort());
    assert.deepEqual(behind(await nodes(config, { transport: cloud.transport })), []);
  });
});
