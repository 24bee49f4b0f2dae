// Rolling runs through the fake transport: serial batches of each group (one batch at a time,
// every phase of a batch before the next), --max-fail stopping before the next batch and
// naming the nodes it never reached, and onOneNode running a group's work once.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { converge, defineConfig, execChecked, file, groupSpec, lift, onOneNode, plan, UsageError, type StackConfig, type Transport } from '../../src/index.ts';
import { batches, parseSerial, tooManyFailed } from '../../src/engine/batches.ts';
import { fakeCloud, type FakeCloud } from '../fake/cloud.ts';

function stack(cloud: FakeCloud, transport?: Transport): { config: StackConfig; transport: Transport } {
  const config = defineConfig({
    stack: 'roll',
    provider: cloud.provider,
    groups: [
      groupSpec('web', {
        phases: {
          configure: plan((ctx) => file('/var/www/index.html', { content: `v1 ${ctx.node.name}\n` }), onOneNode(execChecked('migrate', 'migrate-db'))),
          deploy: plan(file('/srv/app', { content: 'app\n' })),
        },
      }),
      groupSpec('db', { phases: { configure: plan((ctx) => file('/etc/db', { content: `${ctx.node.name}\n` })) } }),
    ],
  });
  return { config, transport: transport ?? cloud.transport };
}

/** The fake transport, counting the phase scripts running at once per group (a node's group is its name's prefix). */
function watched(cloud: FakeCloud): { transport: Transport; most: Map<string, number>; order: string[] } {
  const running = new Map<string, number>();
  const most = new Map<string, number>();
  const order: string[] = [];
  const transport: Transport = {
    name: 'watched',
    async connect(target, options) {
      const conn = await cloud.transport.connect(target, options);
      const group = target.name.split('-')[0]!;
      return Object.assign(Object.create(conn) as typeof conn, {
        async runScript(script: string, o: Parameters<typeof conn.runScript>[1]) {
          running.set(group, (running.get(group) ?? 0) + 1);
          most.set(group, Math.max(most.get(group) ?? 0, running.get(group)!));
          order.push(target.name);
          await new Promise((r) => setTimeout(r, 2));
          try {
            return await conn.runScript(script, o);
          } finally {
            running.set(group, running.get(group)! - 1);
          }
        },
      });
    },
  };
  return { transport, most, order };
}


describe('rolling runs', () => {
  test('batches: each group cut on its own; N, P% and lists whose last size repeats', () => {
    const nodes = ['a1', 'a2', 'a3', 'a4', 'a5', 'b1', 'b2'];
    const group = (n: string) => n[0]!;
    assert.deepEqual(batches(nodes, group, undefined), [nodes]);
    assert.deepEqual(batches(nodes, group, parseSerial(2)), [['a1', 'a2', 'b1', 'b2'], ['a3', 'a4'], ['a5']]);
    assert.deepEqual(batches(nodes, group, parseSerial('40%')), [['a1', 'a2', 'b1'], ['a3', 'a4', 'b2'], ['a5']]);
    assert.deepEqual(batches(nodes, group, parseSerial('1,50%')), [['a1', 'b1'], ['a2', 'a3', 'a4', 'b2'], ['a5']]);
    assert.throws(() => parseSerial('0'), UsageError);
    assert.throws(() => parseSerial('150%'), /serial: "150%" is not/);
    assert.equal(tooManyFailed(0, 1, 10, 1, 2), true);
    assert.equal(tooManyFailed(1, 1, 10, 1, 2), false);
    assert.equal(tooManyFailed('20%', 2, 10, 1, 2), false);
    assert.equal(tooManyFailed('20%', 3, 10, 1, 2), true);
    assert.equal(tooManyFailed(undefined, 3, 10, 1, 2), false, 'without max-fail: only a batch that failed whole stops the run');
    assert.equal(tooManyFailed(undefined, 3, 10, 2, 2), true);
  });

  test('serial 1: one node of each group at a time, in name order, every phase of a batch before the next batch', async () => {
    const cloud = fakeCloud();
    const { config } = stack(cloud);
    await converge(config, { web: 4, db: 2 }, { transport: cloud.transport, phases: [] });
    const w = watched(cloud);
    const events: string[] = [];
    const result = await lift(config, { transport: w.transport, serial: 1, phases: ['configure', 'deploy'], onEvent: (e) => e.type === 'batch-start' && events.push(`${e.batch}/${e.batches} ${e.nodes.join(' ')}`) });
    assert.equal(result.ok, true);
    assert.equal(w.most.get('web'), 1, 'two web nodes ran at once');
    assert.equal(w.most.get('db'), 1);
    const webs = result.nodes.filter((n) => n.group === 'web').map((n) => n.name).sort();
    const dbs = result.nodes.filter((n) => n.group === 'db').map((n) => n.name).sort();
    assert.deepEqual(events, [`1/4 ${dbs[0]} ${webs[0]}`, `2/4 ${dbs[1]} ${webs[1]}`, `3/4 ${webs[2]}`, `4/4 ${webs[3]}`]);
    // configure then deploy on web 1 before anything runs on web 2
    const webOrder = w.order.filter((n) => n.startsWith('web'));
    assert.deepEqual(webOrder, webs.flatMap((n) => [n, n]));
  });

  test('serial 50%: two batches of two webs', async () => {
    const cloud = fakeCloud();
    const { config } = stack(cloud);
    await converge(config, { web: 4, db: 1 }, { transport: cloud.transport, phases: [] });
    const w = watched(cloud);
    const result = await lift(config, { transport: w.transport, serial: '50%', groups: ['web'] });
    assert.equal(result.ok, true);
    assert.equal(w.most.get('web'), 2);
  });

  test('--max-fail 0: a failure stops the run before the next batch; the nodes not reached are untouched and named', async () => {
    const cloud = fakeCloud();
    const { config } = stack(cloud);
    const made = await converge(config, { web: 4 }, { transport: cloud.transport, phases: [] });
    const webs = made.nodes.map((n) => n.name).sort();
    cloud.host(webs[1]!).failing = { label: 'file /var/www/index.html', stderr: 'disk full' };
    const before = webs.map((n) => cloud.host(n).scripts.length);
    const result = await lift(config, { transport: cloud.transport, serial: 1, maxFail: 0 });
    assert.equal(result.ok, false);
    assert.deepEqual(result.nodes.map((n) => [n.name, n.ok]), [[webs[0], true], [webs[1], false]]);
    assert.deepEqual(result.untouched?.map((n) => n.name), [webs[2], webs[3]]);
    assert.equal(result.errors[0]?.code, 'MAX_FAIL');
    assert.match(result.errors[0]!.message, new RegExp(`stopped after batch 2 of 4: 1 of 4 nodes failed, more than --max-fail 0 allows; untouched: ${webs[2]}, ${webs[3]}`));
    assert.deepEqual(webs.map((n, i) => cloud.host(n).scripts.length - before[i]!), [1, 1, 0, 0], 'untouched nodes got no script');
  });

  test('--max-fail 1 tolerates one failed node; without it, serial goes on unless a whole batch fails', async () => {
    const cloud = fakeCloud();
    const { config } = stack(cloud);
    const made = await converge(config, { web: 4 }, { transport: cloud.transport, phases: [] });
    const webs = made.nodes.map((n) => n.name).sort();
    cloud.host(webs[0]!).failing = { label: 'file /var/www/index.html', stderr: 'disk full' };
    const tolerated = await lift(config, { transport: cloud.transport, serial: 1, maxFail: 1 });
    assert.equal(tolerated.untouched, undefined);
    assert.deepEqual(tolerated.nodes.map((n) => n.ok), [false, true, true, true]);
    cloud.host(webs[1]!).failing = { label: 'file /var/www/index.html', stderr: 'disk full' };
    const two = await lift(config, { transport: cloud.transport, serial: 1, maxFail: '25%' });
    assert.deepEqual(two.untouched?.map((n) => n.name), [webs[2], webs[3]], '2 of 4 failed is more than 25%');
    const byBatch = await lift(config, { transport: cloud.transport, serial: 2 });
    assert.deepEqual(byBatch.untouched?.map((n) => n.name), [webs[2], webs[3]], 'the first batch failed whole');
    assert.match(byBatch.errors[0]!.message, /every node of the last batch failed/);
  });

  test('onOneNode runs once per group: on its first node, in the first batch, and on the first node --limit leaves', async () => {
    const cloud = fakeCloud();
    const { config } = stack(cloud);
    const made = await converge(config, { web: 3, db: 1 }, { transport: cloud.transport });
    const webs = made.nodes.filter((n) => n.group === 'web').map((n) => n.name).sort();
    const migrated = (r: typeof made) => r.nodes.filter((n) => n.actions.some((a) => a.name === 'migrate')).map((n) => n.name);
    assert.deepEqual(migrated(made), [webs[0]]);
    assert.deepEqual(migrated(await lift(config, { transport: cloud.transport, serial: 1 })), [webs[0]]);
    assert.deepEqual(migrated(await lift(config, { transport: cloud.transport, limit: [webs[1]!, webs[2]!] })), [webs[1]]);
    // the other nodes' scripts never hold it
    assert.ok(!cloud.host(webs[2]!).scripts.some((s) => s.includes('migrate-db')));
  });
});

describe('rolling runs in the progress lines', () => {
  test('a batch, a node taken out of its readers and put back each print one line', async () => {
    const { ProgressView, PER_NODE_UP_TO } = await import('../../src/cli/progress/view.ts');
    const { paint } = await import('../../src/cli/progress/terminal.ts');
    const v = new ProgressView({ paint: paint(false), live: false, verbose: false, perNodeUpTo: PER_NODE_UP_TO });
    const lines = [
      ...v.apply({ type: 'batch-start', batch: 2, batches: 4, nodes: ['web-1a2b'] }, 0),
      ...v.apply({ type: 'drain', nodes: ['web-1a2b'], readers: ['lb-9f8e'] }, 0),
      ...v.apply({ type: 'restore', nodes: ['web-1a2b'], readers: ['lb-9f8e'] }, 0),
    ];
    assert.deepEqual(lines, ['» batch 2 of 4: web-1a2b', '» taking web-1a2b out of lb-9f8e', '» putting web-1a2b back into lb-9f8e']);
  });
});
