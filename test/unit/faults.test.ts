// Faults on one node through the fake transport: a connection dropped between phases is
// opened again once; one lost mid-script fails that node only, with what it did so far;
// host keys are pinned on first contact and a changed one refuses that node alone;
// secrets a node prints back show as ***.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { converge, defineConfig, exec, execChecked, file, groupSpec, lift, plan, secret, sh, type StackConfig } from '../../src/index.ts';
import { fakeCloud, type FakeCloud } from '../fake/cloud.ts';

function twoPhases(cloud: FakeCloud): StackConfig {
  return defineConfig({
    stack: 'faults',
    provider: cloud.provider,
    groups: [
      groupSpec('app', {
        phases: {
          configure: plan(file('/etc/a', { content: 'a\n' }), file('/etc/b', { content: 'b\n' })),
          deploy: plan((ctx) => file('/etc/deployed', { content: `${ctx.node.name}\n` })),
        },
      }),
    ],
  });
}

const phases = ['configure', 'deploy'];

describe('a fault on one node', () => {
  test('a connection dropped between phases is opened again once, and the node finishes', async () => {
    const cloud = fakeCloud();
    const stack = twoPhases(cloud);
    await converge(stack, { app: 3 }, { transport: cloud.transport, phases: [] });
    const [dropped] = [...cloud.hosts.values()];
    const onEvent = (e: { type: string; phase?: string }) => {
      if (e.type === 'phase-end' && e.phase === 'configure') dropped!.dropConnections();
    };
    const r = await lift(stack, { transport: cloud.transport, phases, onEvent });
    assert.equal(r.ok, true, r.nodes.map((n) => n.error?.message).join('\n'));
    assert.deepEqual(r.nodes.map((n) => n.actions.length), [3, 3, 3]);
    assert.equal(dropped!.connections, 2, 'one reconnect');
    assert.ok([...cloud.hosts.values()].filter((h) => h !== dropped).every((h) => h.connections === 1));
  });

  test('dropped between phases and then down: that node fails by name, the others finish', async () => {
    const cloud = fakeCloud();
    const stack = twoPhases(cloud);
    const made = await converge(stack, { app: 3 }, { transport: cloud.transport, phases: [] });
    const victim = made.nodes[1]!;
    const onEvent = (e: { type: string; phase?: string }) => {
      if (e.type !== 'phase-end' || e.phase !== 'configure') return;
      cloud.host(victim.name).dropConnections();
      cloud.host(victim.name).down = true;
    };
    const r = await lift(stack, { transport: cloud.transport, phases, onEvent });
    assert.equal(r.ok, false);
    const failed = r.nodes.filter((n) => !n.ok);
    assert.deepEqual(failed.map((n) => [n.name, n.error?.code, n.error?.phase]), [[victim.name, 'TRANSPORT', 'deploy']]);
    assert.match(failed[0]!.error!.message, new RegExp(`^node ${victim.name} \\(`));
    assert.ok(r.nodes.filter((n) => n.ok).every((n) => n.actions.length === 3));
  });

  test('a connection lost mid-script fails that node with the actions it reported; it runs no later phase', async () => {
    const cloud = fakeCloud();
    const stack = twoPhases(cloud);
    const made = await converge(stack, { app: 2 }, { transport: cloud.transport, phases: [] });
    const victim = made.nodes[0]!;
    cloud.host(victim.name).loseMidScript = 1;
    const r = await lift(stack, { transport: cloud.transport, phases });
    const lost = r.nodes.find((n) => n.name === victim.name)!;
    assert.equal(lost.ok, false);
    assert.equal(lost.error?.code, 'CONNECTION_LOST');
    assert.equal(lost.error?.message, `node ${victim.name} (${victim.address}:22): connection lost during phase configure, in action "file /etc/b"; the script may have partly run`);
    assert.deepEqual(lost.actions.map((a) => [a.phase, a.name, a.status]), [['configure', 'file /etc/a', 'changed']]);
    assert.equal(cloud.host(victim.name).scripts.length, 1, 'no deploy after the loss');
    assert.ok(r.nodes.find((n) => n.name !== victim.name)!.ok);
  });
});

describe('time limits', () => {
  test('an exec command without --timeout is stopped after 10 minutes; a phase script after 30', async () => {
    const cloud = fakeCloud();
    const stack = twoPhases(cloud);
    await converge(stack, { app: 1 }, { transport: cloud.transport });
    await exec(stack, 'app', 'uptime', { transport: cloud.transport });
    await exec(stack, 'app', 'uptime', { transport: cloud.transport, timeoutMs: 5000 });
    // First the node's facts were read (bounded to a minute), then its script ran.
    assert.deepEqual([...cloud.hosts.values()][0]!.limits, [60_000, 30 * 60_000, 10 * 60_000, 5000]);
  });
});

describe('host keys through the engine', () => {
  const stackOf = (cloud: FakeCloud) =>
    defineConfig({ stack: 'keys', provider: cloud.provider, groups: [groupSpec('app', { phases: { configure: plan(file('/etc/x', { content: 'x\n' })) } })] });

  test('pinned through the provider on first contact; a changed key then refuses that node only, in lift and exec', async () => {
    const cloud = fakeCloud();
    const stack = stackOf(cloud);
    const made = await converge(stack, { app: 3 }, { transport: cloud.transport, phases: [] });
    for (const h of cloud.hosts.values()) h.hostKey = `ssh-ed25519 key-of-${h.address}`;
    await lift(stack, { transport: cloud.transport });
    assert.equal(cloud.pins, 3, 'each node pinned once');
    const listed = await cloud.provider.listNodes('keys');
    assert.deepEqual(listed.map((n) => n.ssh.hostKey), listed.map((n) => `ssh-ed25519 key-of-${n.address}`));
    await lift(stack, { transport: cloud.transport });
    assert.equal(cloud.pins, 3, 'a pinned node is not pinned again');

    const victim = made.nodes[2]!;
    cloud.host(victim.name).hostKey = 'ssh-ed25519 an-impostor';
    const ran = cloud.host(victim.name).commands.length;
    const r = await lift(stack, { transport: cloud.transport });
    assert.deepEqual(r.nodes.filter((n) => !n.ok).map((n) => [n.name, n.error?.code]), [[victim.name, 'HOST_KEY']]);
    assert.equal(r.nodes.filter((n) => n.ok).length, 2);
    const e = await exec(stack, 'app', 'uptime', { transport: cloud.transport });
    assert.deepEqual(e.nodes.filter((n) => !n.ok).map((n) => [n.name, n.error?.code]), [[victim.name, 'HOST_KEY']]);
    assert.equal(cloud.host(victim.name).commands.length, ran, 'nothing ran on the impostor');
    assert.equal(cloud.pins, 3, 'a changed key is never recorded over the pin');
  });
});

describe('secrets in what nodes print back', () => {
  test("an action's stderr, the error and its tail show a secret's value as ***; so does exec's output", async () => {
    const cloud = fakeCloud();
    const token = 's3cr3t-t0ken-value';
    const stack = defineConfig({
      stack: 'sec',
      provider: cloud.provider,
      groups: [groupSpec('app', { phases: { configure: plan(execChecked('use token', sh`curl -H ${secret(token)} http://x/`)) } })],
    });
    const made = await converge(stack, { app: 1 }, { transport: cloud.transport, phases: [] });
    const host = cloud.host(made.nodes[0]!.name);
    host.failing = { label: 'use token', stderr: `curl: bad header "${token}"\n` };
    const r = await lift(stack, { transport: cloud.transport });
    const json = JSON.stringify(r);
    assert.ok(!json.includes(token), json);
    assert.equal(r.nodes[0]!.error?.stderrTail, 'curl: bad header "***"');
    assert.equal(r.nodes[0]!.actions[0]!.stderr, 'curl: bad header "***"\n');
    host.answer = () => ({ exitCode: 0, stdout: `token=${token}\n` });
    const e = await exec(stack, 'app', sh`echo token=${secret(token)}`, { transport: cloud.transport });
    assert.equal(e.nodes[0]!.stdout, 'token=***\n');
    assert.equal(e.command, 'echo token=***');
  });
});
