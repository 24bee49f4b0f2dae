// Rolling with the topology through the fake transport: the readers of a node (the lb, whose
// haproxy backend lists nodesWithRole('web')) are configured without it before it is
// updated, and with it after its health phase; scaling down configures them without the
// nodes leaving before those are destroyed.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { converge, defineConfig, file, groupSpec, haproxy, lift, nodesWithRole, nginx, plan, type ForkliftEvent, type StackConfig } from '../../src/index.ts';
import { fakeCloud, type FakeCloud } from '../fake/cloud.ts';

function farm(cloud: FakeCloud, version: string): StackConfig {
  return defineConfig({
    stack: 'topo',
    provider: cloud.provider,
    groups: [
      groupSpec('web', { roles: ['web'], phases: { configure: plan((ctx) => file('/var/www/index.html', { content: `${version} ${ctx.node.name}\n` })), health: nginx.health() } }),
      groupSpec('lb', { phases: { configure: haproxy.addBackend('web', { servers: nodesWithRole('web'), port: 80 }) } }),
      groupSpec('db', { phases: { configure: plan(file('/etc/db', { content: 'db\n' })) } }),
    ],
  });
}

/** The web servers an lb script's haproxy.cfg lists. */
const servers = (script: string) => [...script.matchAll(/server (web-[0-9a-f]+) /g)].map((m) => m[1]!).sort();

describe('rolling with the topology', () => {
  test('lift web --rolling: each web out of the lb, updated, health-checked, back in; the db is not touched', async () => {
    const cloud = fakeCloud();
    const made = await converge(farm(cloud, 'v1'), { lb: 1, web: 3, db: 1 }, { transport: cloud.transport });
    const webs = made.nodes.filter((n) => n.group === 'web').map((n) => n.name).sort();
    const lb = cloud.host(made.nodes.find((n) => n.group === 'lb')!.name);
    const db = cloud.host(made.nodes.find((n) => n.group === 'db')!.name);
    const lbBefore = lb.scripts.length;
    const dbBefore = db.scripts.length;
    // One timeline of scripts across hosts.
    const timeline: string[] = [];
    const events: ForkliftEvent[] = [];
    const result = await lift(farm(cloud, 'v2'), {
      transport: cloud.transport, groups: ['web'], rolling: true,
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'node-phase-start') timeline.push(`${e.phase} ${e.node}`);
      },
    });
    assert.equal(result.ok, true, JSON.stringify(result.errors));
    const lbName = made.nodes.find((n) => n.group === 'lb')!.name;
    assert.deepEqual(timeline, webs.flatMap((w) => [`configure ${lbName}`, `configure ${w}`, `health ${w}`, `configure ${lbName}`]));
    const lbScripts = lb.scripts.slice(lbBefore).map(servers);
    assert.deepEqual(lbScripts, webs.flatMap((w) => [webs.filter((x) => x !== w), webs]));
    assert.equal(db.scripts.length, dbBefore, 'the db reads no web: not contacted');
    assert.deepEqual(events.filter((e) => e.type === 'drain').map((e) => (e as { nodes: string[] }).nodes), webs.map((w) => [w]));
    assert.deepEqual(result.nodes.map((n) => n.name).sort(), webs, 'the result is the webs');
    for (const n of result.nodes) assert.deepEqual(n.actions.map((a) => a.phase), ['configure', 'health', 'health'].slice(0, n.actions.length));
  });

  test('a web whose health check fails stays out of the lb and stops the run; the rest are untouched', async () => {
    const cloud = fakeCloud();
    const made = await converge(farm(cloud, 'v1'), { lb: 1, web: 3 }, { transport: cloud.transport });
    const webs = made.nodes.filter((n) => n.group === 'web').map((n) => n.name).sort();
    const lb = cloud.host(made.nodes.find((n) => n.group === 'lb')!.name);
    cloud.host(webs[0]!).failing = { label: 'healthy http://127.0.0.1:80/', stderr: 'not healthy' };
    const before = lb.scripts.length;
    const result = await lift(farm(cloud, 'v2'), { transport: cloud.transport, groups: ['web'], rolling: true });
    assert.equal(result.ok, false);
    assert.deepEqual(result.untouched?.map((n) => n.name), webs.slice(1));
    assert.deepEqual(lb.scripts.slice(before).map(servers), [webs.slice(1), webs.slice(1)], 'the failed web was not put back');
  });

  test('lift --rolling of every group configures the lb first, then rolls the webs through it', async () => {
    const cloud = fakeCloud();
    const made = await converge(farm(cloud, 'v1'), { lb: 1, web: 2 }, { transport: cloud.transport });
    const webs = made.nodes.filter((n) => n.group === 'web').map((n) => n.name).sort();
    const batches: string[][] = [];
    const result = await lift(farm(cloud, 'v2'), { transport: cloud.transport, rolling: true, onEvent: (e) => e.type === 'batch-start' && batches.push(e.nodes) });
    assert.equal(result.ok, true);
    assert.deepEqual(batches, [[made.nodes.find((n) => n.group === 'lb')!.name], [webs[0]!], [webs[1]!]]);
  });

  test('scaling down: the lb is configured without the leaving webs before they are destroyed', async () => {
    const cloud = fakeCloud();
    const config = farm(cloud, 'v1');
    const made = await converge(config, { lb: 1, web: 4 }, { transport: cloud.transport });
    const lb = cloud.host(made.nodes.find((n) => n.group === 'lb')!.name);
    const before = lb.scripts.length;
    const order: string[] = [];
    const down = await converge(config, { lb: 1, web: 2 }, {
      transport: cloud.transport,
      onEvent: (e) => {
        if (e.type === 'node-removing') order.push(`remove ${e.name}`);
        if (e.type === 'node-phase-start') order.push(`${e.phase} ${e.node}`);
      },
    });
    assert.equal(down.ok, true);
    const kept = down.nodes.filter((n) => n.group === 'web').map((n) => n.name).sort();
    const lbName = made.nodes.find((n) => n.group === 'lb')!.name;
    assert.equal(order[0], `configure ${lbName}`, `the lb first: ${order.join(', ')}`);
    assert.ok(order.slice(1, 3).every((o) => o.startsWith('remove ')));
    assert.deepEqual(servers(lb.scripts[before]!), kept);
  });
});
