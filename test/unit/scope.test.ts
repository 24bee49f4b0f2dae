// Which nodes an operation touches, through the fake transport: --limit (library `limit`)
// on lift, check and exec runs only the named nodes while the others still count for
// nodesWithRole; an unknown name is one error listing the stack's nodes. Where nodes hold
// their own state (Provider.nodeState, as hosts does), it is read over the one connection
// the node then works on, and tags are written over it too; nodes out of scope are never
// contacted. Jump hosts' keys are pinned on first contact like the node's own.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { check, converge, defineConfig, exec, file, groupSpec, lift, nodes, plan, UsageError, type StackConfig } from '../../src/index.ts';
import { Sessions } from '../../src/engine/sessions.ts';
import type { NodeInfo, Provider, Tags } from '../../src/providers/types.ts';
import type { ConnectTarget, Connection } from '../../src/transport/types.ts';
import { GATHER_FACTS } from '../../src/shell/facts.ts';
import { fakeCloud, type FakeCloud } from '../fake/cloud.ts';

/** The fake cloud's provider, its nodes keeping their tags themselves, read and written over a connection. */
function selfStored(cloud: FakeCloud): Provider & { reads: string[]; writes: string[] } {
  const stored = new Map<string, Tags>();
  const reads: string[] = [];
  const writes: string[] = [];
  const base = cloud.provider;
  return {
    ...base,
    reads,
    writes,
    async listNodes(stack) {
      // Listed without their state, as the hosts provider lists them.
      return (await base.listNodes(stack)).map((n) => ({ ...n, tags: { 'forklift-stack': n.tags['forklift-stack']!, 'forklift-group': n.group }, os: { family: '', version: '' } }));
    },
    nodeState: {
      async read(node, conn) {
        await conn.run('cat tags');
        reads.push(node.name);
        return { tags: stored.get(node.id) ?? {}, os: { family: 'debian', version: '12' } };
      },
      async write(node, tags, conn) {
        await conn.run('write tags');
        writes.push(node.name);
        stored.set(node.id, { ...node.tags, ...tags });
      },
    },
  };
}

function farm(provider: Provider, bootstrap = false): StackConfig {
  const boot: Record<string, ReturnType<typeof plan>> = bootstrap ? { bootstrap: plan(file('/etc/boot', { content: 'b\n' })) } : {};
  return defineConfig({
    stack: 'scope',
    provider,
    groups: [
      groupSpec('web', { roles: ['web'], phases: { ...boot, configure: plan((ctx) => file('/etc/peers', { content: ctx.nodesWithRole('web').map((n) => n.name).join(' ') })) } }),
      groupSpec('db', { phases: { ...boot, configure: plan(file('/etc/db', { content: 'db\n' })) } }),
    ],
  });
}

describe('limit: only the named nodes work', () => {
  test('lift, check and exec run on the named nodes only; nodesWithRole still sees every node', async () => {
    const cloud = fakeCloud();
    const stack = farm(cloud.provider);
    const made = await converge(stack, { web: 3, db: 1 }, { transport: cloud.transport, phases: [] });
    const [w1, w2, w3] = made.nodes.filter((n) => n.group === 'web').map((n) => n.name).sort() as [string, string, string];
    const db = made.nodes.find((n) => n.group === 'db')!.name;
    const before = (name: string) => cloud.host(name).scripts.length;
    const counts = () => [w1, w2, w3, db].map(before);

    const r = await lift(stack, { transport: cloud.transport, limit: [w2, db] });
    assert.deepEqual(r.nodes.map((n) => n.name).sort(), [w2, db].sort());
    assert.deepEqual(counts(), [0, 1, 0, 1]);
    assert.ok(cloud.host(w2).scripts[0]!.includes(`'${[w1, w2, w3].join(' ')}'`), 'nodesWithRole lost the nodes out of the limit');

    const c = await check(stack, { transport: cloud.transport, groups: ['web'], limit: [w3] });
    assert.deepEqual(c.nodes.map((n) => n.name), [w3]);
    assert.deepEqual(counts(), [0, 1, 1, 1]);

    const e = await exec(stack, 'web', 'uptime', { transport: cloud.transport, limit: [w1, w3] });
    assert.deepEqual(e.nodes.map((n) => n.name), [w1, w3]);
    // Commands other than the facts a node is asked for once.
    assert.deepEqual([w1, w2, w3, db].map((n) => cloud.host(n).commands.filter((c) => c !== GATHER_FACTS).length), [1, 0, 1, 0]);
  });

  test('an unknown name is one error listing the nodes, before any node is contacted; so is a node outside the groups', async () => {
    const cloud = fakeCloud();
    const stack = farm(cloud.provider);
    const made = await converge(stack, { web: 2, db: 1 }, { transport: cloud.transport, phases: [] });
    const names = [...made.nodes].sort((a, b) => a.group.localeCompare(b.group) || a.name.localeCompare(b.name)).map((n) => n.name);
    const all = [...cloud.hosts.values()];
    for (const run of [() => lift(stack, { transport: cloud.transport, limit: ['web-nope'] }), () => exec(stack, 'web', 'true', { transport: cloud.transport, limit: ['web-nope'] })]) {
      await assert.rejects(run, (e: unknown) => e instanceof UsageError && e.message === `limit: no node web-nope in stack scope; its nodes: ${names.join(', ')}`);
    }
    const db = made.nodes.find((n) => n.group === 'db')!.name;
    await assert.rejects(exec(stack, 'web', 'true', { transport: cloud.transport, limit: [db] }), { message: `limit: node ${db} is in group db, not in web` });
    assert.ok(all.every((h) => h.connections === 0), 'a node was contacted');
    assert.equal(names.length, 3);
  });
});

describe('nodes that keep their own state', () => {
  test('state is read and tags written over the one connection a node works on; out-of-scope nodes are not contacted', async () => {
    const cloud = fakeCloud();
    const provider = selfStored(cloud);
    const stack = farm(provider, true);
    // Nodes made by the fake cloud, then converged through the self-storing provider.
    await converge(farm(cloud.provider), { web: 2, db: 1 }, { transport: cloud.transport, phases: [] });
    for (const h of cloud.hosts.values()) h.connections = 0;
    const r = await converge(stack, { web: 2, db: 1 }, { transport: cloud.transport });
    assert.equal(r.ok, true, JSON.stringify(r.nodes.map((n) => n.error)));
    assert.ok([...cloud.hosts.values()].every((h) => h.connections === 1), 'one connection per node');
    assert.ok(r.nodes.every((n) => n.actions.map((a) => a.phase).join() === 'bootstrap,configure'));
    // Each node's facts (first read) and bootstrapped, once each.
    assert.equal(provider.writes.length, 9, 'facts, bootstrapped and the applied plan written once per node');

    // Read back: bootstrapped; a second converge bootstraps nothing.
    const listed = await nodes(stack, { transport: cloud.transport });
    assert.ok(listed.every((n) => n.tags['forklift-bootstrapped'] === 'true' && n.os.family === 'debian'));
    const again = await converge(stack, { web: 2, db: 1 }, { transport: cloud.transport });
    assert.ok(again.nodes.every((n) => n.actions.every((a) => a.phase === 'configure')));
    assert.equal(provider.writes.length, 9, 'a second converge wrote tags');

    for (const h of cloud.hosts.values()) h.connections = 0;
    provider.reads.length = 0;
    const web = r.nodes.find((n) => n.group === 'web')!.name;
    await lift(stack, { transport: cloud.transport, limit: [web] });
    assert.deepEqual(provider.reads, [web]);
    assert.deepEqual([...cloud.hosts.values()].map((h) => h.connections).sort(), [0, 0, 1]);
  });

  test('a node whose state cannot be read fails by name, once, and runs nothing', async () => {
    const cloud = fakeCloud();
    const provider = selfStored(cloud);
    const stack = farm(provider);
    const made = await converge(farm(cloud.provider), { web: 2 }, { transport: cloud.transport, phases: [] });
    const victim = made.nodes[0]!.name;
    const read = provider.nodeState!.read;
    provider.nodeState!.read = async (node, conn) => {
      if (node.name === victim) throw new UsageError(`host ${node.name}: could not read its tags`);
      return read(node, conn);
    };
    const r = await lift(stack, { transport: cloud.transport });
    const other = made.nodes[1]!.name;
    const expected = [[victim, false, `node ${victim}: host ${victim}: could not read its tags`], [other, true, undefined]].sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    assert.deepEqual(r.nodes.map((n) => [n.name, n.ok, n.error?.message]), expected);
    assert.equal(cloud.host(victim).scripts.length, 0);
  });
});

describe('jump hosts’ keys', () => {
  test('pinned on first contact through the provider, with the jump host’s address; reconnects hold to the pin', async () => {
    const seen: ConnectTarget[] = [];
    const connection = (): Connection => ({
      hostKey: 'ssh-ed25519 NODE',
      jumpHostKeys: ['ssh-ed25519 OUTER', 'ssh-ed25519 INNER'],
      runScript: async () => ({ exitCode: 0, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) }),
      run: async () => ({ exitCode: 0, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) }),
      close: () => undefined,
    });
    const pins: Array<[string, string | undefined]> = [];
    const sessions = new Sessions({ name: 't', connect: async (t) => (seen.push(t), connection()) }, {}, async (_node, key, at) => void pins.push([key, at && `${at.host}:${at.port}`]));
    const outer = { host: 'outer', port: 22, user: 'ops', privateKey: 'k' };
    const node: NodeInfo = {
      id: 'n', name: 'n', group: 'g', address: '10.0.0.5', state: 'running', tags: {}, os: { family: 'debian', version: '12' },
      ssh: { host: '10.0.0.5', port: 22, user: 'deploy', privateKey: 'k', jump: { host: 'inner', port: 2222, user: 'ops', privateKey: 'k', jump: outer } },
    };
    await sessions.get(node);
    assert.deepEqual(pins, [['ssh-ed25519 OUTER', 'outer:22'], ['ssh-ed25519 INNER', 'inner:2222'], ['ssh-ed25519 NODE', undefined]]);
    sessions.drop('n');
    await sessions.get(node);
    const again = seen[1]!.ssh;
    assert.deepEqual([again.hostKey, again.jump?.hostKey, again.jump?.jump?.hostKey], ['ssh-ed25519 NODE', 'ssh-ed25519 INNER', 'ssh-ed25519 OUTER']);
    assert.equal(pins.length, 3, 'pinned again');
  });
});
