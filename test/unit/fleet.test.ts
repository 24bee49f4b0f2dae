// Facts and settings through the engine, on in-memory nodes: facts are read on the node
// (once, then from each script's trailer), a no-op lift is one exec per node per phase
// with no tag written; settings merge (group, then the node's vars), typed settings check
// and fill defaults, and a generated secret reaches other groups, stays stable, and never
// shows in a result, an event or a listing.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { z } from 'zod';
import { converge, defineConfig, defineSettings, file, groupSpec, lift, check, nodes, plan, secret, secretSchema, type ForkliftEvent, type NodeFacts, type StackConfig } from '../../src/index.ts';
import { decodeFacts, encodeFacts } from '../../src/shell/facts.ts';
import { fakeCloud, scriptBlocks, type FakeCloud } from '../fake/cloud.ts';

const ubuntu = (f: NodeFacts): NodeFacts => ({ ...f, os: { family: 'ubuntu', version: '22.04', codename: 'jammy', like: ['debian'] } });

function factsStack(cloud: FakeCloud): StackConfig {
  const describeNode = (ctx: { node: { facts: NodeFacts } }) => {
    const f = ctx.node.facts;
    return `${f.os.family} ${f.os.version} ${f.os.codename} ${f.architecture} ${f.cpus} ${f.memoryMiB}\n`;
  };
  return defineConfig({
    stack: 'facts',
    provider: cloud.provider,
    groups: [
      groupSpec('db', { roles: ['db'], phases: { configure: plan((ctx) => file('/etc/os', { content: describeNode(ctx) })) } }),
      groupSpec('app', {
        phases: {
          configure: plan((ctx) => file('/etc/os', { content: describeNode(ctx) })),
          deploy: plan((ctx) => file('/etc/peers', { content: `db: ${ctx.nodesWithRole('db')[0]?.facts?.os.family}, me: ${describeNode(ctx)}` })),
        },
      }),
    ],
  });
}

const contentOf = (script: string, path: string) => new RegExp(`printf '%s' '([^']*)' \\| cat >${path}\\.forklift-new`).exec(script)?.[1];

describe('facts', () => {
  test('read on the node, not guessed: a node the provider calls Debian that runs Ubuntu plans as Ubuntu', async () => {
    const cloud = fakeCloud();
    const stack = factsStack(cloud);
    await converge(stack, { db: 1, app: 1 }, { transport: cloud.transport, phases: [] });
    const app = cloud.host((await cloud.provider.listNodes('facts')).find((n) => n.group === 'app')!.name);
    app.facts = ubuntu(app.facts);
    const r = await lift(stack, { transport: cloud.transport });
    assert.ok(r.ok);
    assert.equal(contentOf(app.scripts.at(-1)!, '/etc/os'), 'ubuntu 22.04 jammy x86_64 2 1024\n');
    const listed = await cloud.provider.listNodes('facts');
    assert.deepEqual(decodeFacts(listed.find((n) => n.group === 'app')!.tags['forklift-facts'])?.os, { family: 'ubuntu', version: '22.04', codename: 'jammy', like: ['debian'] });
  });

  test('a no-op lift is one exec per node per phase, facts included, and writes no tag', async () => {
    const cloud = fakeCloud();
    const stack = factsStack(cloud);
    await converge(stack, { db: 2, app: 3 }, { transport: cloud.transport });
    await lift(stack, { transport: cloud.transport, phases: ['configure', 'deploy'] });
    const before = [...cloud.hosts.values()].map((h) => h.scripts.length + h.commands.length);
    const tags = cloud.tagWrites;
    const noop = await lift(stack, { transport: cloud.transport, phases: ['configure', 'deploy'] });
    assert.equal(noop.changed, 0);
    const after = [...cloud.hosts.values()].map((h) => h.scripts.length + h.commands.length);
    const listed = await cloud.provider.listNodes('facts');
    const phasesOf = (address: string) => (listed.find((n) => n.address === address)!.group === 'app' ? 2 : 1);
    assert.deepEqual(after.map((n, i) => n - before[i]!), [...cloud.hosts.keys()].map(phasesOf), 'one exec per node per phase');
    assert.equal(cloud.tagWrites, tags, 'unchanged facts are not written again');
    for (const h of cloud.hosts.values()) assert.match(h.scripts.at(-1)!, /^fl_facts\b/m, 'every script ends with the facts');
  });

  test('facts that change are seen by the next phase and recorded for the next run; other nodes read them', async () => {
    const cloud = fakeCloud();
    const stack = factsStack(cloud);
    await converge(stack, { db: 1, app: 1 }, { transport: cloud.transport });
    const listed = await cloud.provider.listNodes('facts');
    const db = cloud.host(listed.find((n) => n.group === 'db')!.name);
    const app = cloud.host(listed.find((n) => n.group === 'app')!.name);
    assert.equal(db.commands.length, 1, 'facts asked for once, when the node had none');
    db.facts = ubuntu(db.facts);
    app.facts = { ...app.facts, memoryMiB: 4096 };
    // configure prints the new facts; deploy, the next phase, plans with them.
    await lift(stack, { transport: cloud.transport, phases: ['configure', 'deploy'] });
    assert.equal(contentOf(app.scripts.at(-1)!, '/etc/peers'), 'db: ubuntu, me: debian 12 bookworm x86_64 2 4096\n');
    assert.equal(db.commands.length, 1, 'never asked again');
    const tagged = await cloud.provider.listNodes('facts');
    assert.equal(decodeFacts(tagged.find((n) => n.group === 'app')!.tags['forklift-facts'])?.memoryMiB, 4096);
  });

  test('a dry run reads facts but records nothing', async () => {
    const cloud = fakeCloud();
    const stack = factsStack(cloud);
    await converge(stack, { db: 1 }, { transport: cloud.transport, phases: [] });
    const tags = cloud.tagWrites;
    const dry = await check(stack, { transport: cloud.transport });
    assert.ok(dry.ok);
    assert.equal(cloud.tagWrites, tags);
  });

  test('the facts tag is compact JSON within CloudStack\'s 255 characters, whatever the names', () => {
    const f: NodeFacts = { os: { family: 'x'.repeat(100), version: '1'.repeat(100), codename: 'c'.repeat(100), like: ['a'.repeat(100)] }, architecture: 'x86_64', packageArchitecture: 'amd64', cpus: 64, memoryMiB: 1 << 20, hostname: 'h'.repeat(64), address: '10.0.0.1', kernel: 'k'.repeat(100) };
    assert.ok(encodeFacts(f).length <= 255);
    assert.equal(decodeFacts(encodeFacts(f))?.cpus, 64);
    assert.equal(decodeFacts('{"not":"facts"}'), undefined);
  });
});

const dbSettings = defineSettings(z.object({ port: z.number().int().default(5432), password: secretSchema, name: z.string() }));

function settingsStack(cloud: FakeCloud, scope: 'node' | 'group' = 'node'): StackConfig {
  return defineConfig({
    stack: 'settings',
    provider: cloud.provider,
    groups: [
      groupSpec('db', {
        roles: ['db'],
        settings: [{ name: 'app' }, dbSettings.values((ctx) => ({ password: ctx.generatedSecret('db-password', { scope }) }))],
        phases: { configure: plan((ctx) => file('/etc/db.conf', { content: secret(`port ${dbSettings.of(ctx).port}\npassword ${dbSettings.of(ctx).password.value}\n`) })) },
      }),
      groupSpec('app', {
        phases: {
          configure: plan((ctx) => {
            const db = dbSettings.of(ctx.nodesWithRole('db')[0]!);
            return file('/etc/app.env', { content: secret(`DB_PORT=${db.port}\nDB_NAME=${db.name}\nDB_PASSWORD=${db.password.value}\n`) });
          }),
        },
      }),
    ],
  });
}

const passwordIn = (script: string) => /DB_PASSWORD=([A-Za-z0-9_-]+)/.exec(script)?.[1];

describe('settings', () => {
  test('the db publishes its port and a generated password; the app writes them; no output shows it; the next run keeps it', async () => {
    const cloud = fakeCloud();
    const stack = settingsStack(cloud);
    const events: ForkliftEvent[] = [];
    const first = await converge(stack, { db: 1, app: 2 }, { transport: cloud.transport, onEvent: (e) => events.push(e) });
    assert.ok(first.ok, JSON.stringify(first.nodes.map((n) => n.error)));
    const listed = await cloud.provider.listNodes('settings');
    const dbNode = listed.find((n) => n.group === 'db')!;
    const password = dbNode.tags['forklift-secret-db-password']!;
    assert.match(password, /^[A-Za-z0-9_-]{32}$/);
    for (const n of listed.filter((x) => x.group === 'app')) {
      const script = cloud.host(n.name).scripts.at(-1)!;
      assert.equal(passwordIn(script), password);
      assert.ok(script.includes('DB_PORT=5432\nDB_NAME=app\n'));
    }
    const shown = JSON.stringify([first, events, await nodes(stack, { transport: cloud.transport })]);
    assert.ok(!shown.includes(password), 'the password shows nowhere');
    assert.ok(shown.includes('"forklift-secret-db-password":"***"'));

    const again = await lift(stack, { transport: cloud.transport });
    assert.equal(again.changed, 0, 'the same password: nothing changes');
    assert.equal((await cloud.provider.listNodes('settings')).find((n) => n.group === 'db')!.tags['forklift-secret-db-password'], password);
  });

  test('a group-wide secret is one value on every node of the group; a node added later gets the same', async () => {
    const cloud = fakeCloud();
    const stack = settingsStack(cloud, 'group');
    await converge(stack, { db: 2, app: 1 }, { transport: cloud.transport });
    await converge(stack, { db: 3, app: 1 }, { transport: cloud.transport });
    const values = (await cloud.provider.listNodes('settings')).filter((n) => n.group === 'db').map((n) => n.tags['forklift-secret-db-password']);
    assert.equal(values.length, 3);
    assert.equal(new Set(values).size, 1);
  });

  test("merge order: the group's settings in order, then the node's own vars; schemas check and fill defaults", async () => {
    const cloud = fakeCloud();
    const seen = new Map<string, Record<string, unknown>>();
    const port = defineSettings(z.object({ port: z.number().default(80), tls: z.object({ on: z.boolean(), ciphers: z.array(z.string()) }).partial() }));
    const stack = defineConfig({
      stack: 'merge',
      provider: cloud.provider,
      groups: [
        groupSpec('web', {
          settings: [{ tls: { on: false, ciphers: ['a', 'b'] }, site: 'one' }, () => ({ tls: { on: true }, site: 'two' }), port.values({})],
          phases: { configure: plan((ctx) => (seen.set(ctx.node.name, { ...ctx.settings }), file('/etc/x', { content: String(port.of(ctx).port) }))) },
        }),
      ],
    });
    const made = await converge(stack, { web: 2 }, { transport: cloud.transport, phases: [] });
    cloud.setVars(made.nodes[1]!.name, { port: 8080, tls: { ciphers: ['c'] } });
    await lift(stack, { transport: cloud.transport });
    assert.deepEqual([seen.get(made.nodes[0]!.name), seen.get(made.nodes[1]!.name)], [
      { tls: { on: true, ciphers: ['a', 'b'] }, site: 'two', port: 80 },
      { tls: { on: true, ciphers: ['c'] }, site: 'two', port: 8080 },
    ]);
    cloud.setVars(made.nodes[1]!.name, { port: 'eighty' });
    await assert.rejects(lift(stack, { transport: cloud.transport }), { name: 'SpecError', message: `settings of node ${made.nodes[1]!.name}: port: Invalid input: expected number, received string` });
  });
});
