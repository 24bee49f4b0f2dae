// The engine through the fake transport: converge, lift, check and exec on thousands of
// in-memory nodes, with no root and no LXC. What each node received is its script.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { check, converge, exec, file, groupSpec, haproxy, lift, type ForkliftEvent } from '../../src/index.ts';
import { fakeCloud, scriptBlocks } from '../fake/cloud.ts';
import { farm } from '../fake/farm.ts';

describe('engine on in-memory nodes', () => {
  test('converge lb=1 web=999: 1,000 nodes, one script each, with what their plans read of the others', async () => {
    const cloud = fakeCloud();
    const stack = farm(cloud);
    const result = await converge(stack, { lb: 1, web: 999 }, { transport: cloud.transport });
    assert.equal(result.ok, true);
    assert.equal(result.nodes.length, 1000);
    assert.equal(cloud.created, 1000);
    const webs = result.nodes.filter((n) => n.group === 'web');
    for (const web of webs) {
      const host = cloud.host(web.name);
      assert.equal(host.connections, 1, 'one connection per node per operation');
      assert.equal(host.scripts.length, 1, 'one script per node per phase');
      assert.deepEqual(scriptBlocks(host.scripts[0]!).blocks.map((b) => b.label), ['file /var/www/index.html']);
      assert.ok(host.scripts[0]!.includes(`'served by ${web.name}\n'`), `${web.name} got another node's page`);
      assert.deepEqual(web.actions.map((a) => [a.phase, a.name, a.status]), [['configure', 'file /var/www/index.html', 'changed']]);
    }
    const lb = result.nodes.find((n) => n.group === 'lb')!;
    const lbScript = cloud.host(lb.name).scripts[0]!;
    assert.deepEqual(scriptBlocks(lbScript).blocks.map((b) => b.label), ['packages haproxy', 'file /etc/haproxy/haproxy.cfg', 'service haproxy', 'service haproxy reloaded', 'wait for backend web']);
    for (const web of webs) assert.ok(lbScript.includes(`server ${web.name} ${web.address}:80 check`), `the lb's config lacks ${web.name}`);
    assert.equal(result.changed, 999 + 5);
    // Every node is tagged bootstrapped, in the provider's own records.
    const listed = await cloud.provider.listNodes('farm');
    assert.ok(listed.every((n) => n.tags['forklift-bootstrapped'] === 'true'));
  });

  test('a second converge creates nothing and changes nothing; scaling down removes exactly the surplus and the lb follows', async () => {
    const cloud = fakeCloud();
    const stack = farm(cloud);
    await converge(stack, { lb: 1, web: 4 }, { transport: cloud.transport });
    const again = await converge(stack, { lb: 1, web: 4 }, { transport: cloud.transport });
    assert.equal(again.changed, 0);
    assert.equal(cloud.created, 5);
    const down = await converge(stack, { lb: 1, web: 2 }, { transport: cloud.transport });
    assert.equal(down.removed.length, 2);
    assert.equal(cloud.destroyed, 2);
    const lb = down.nodes.find((n) => n.group === 'lb')!;
    assert.deepEqual(lb.actions.filter((a) => a.changed).map((a) => a.name), ['file /etc/haproxy/haproxy.cfg', 'service haproxy reloaded', 'wait for backend web']);
    const lbScript = cloud.host(lb.name).scripts.at(-1)!;
    for (const r of down.removed) assert.ok(!lbScript.includes(`server ${r.name} `), `the lb still lists removed ${r.name}`);
    assert.ok(down.nodes.filter((n) => n.group === 'web').every((n) => n.actions.every((a) => !a.changed)), 'web nodes untouched');
  });

  test('lift runs phases without scaling; check reports drift as would-change and changes nothing', async () => {
    const cloud = fakeCloud();
    const stack = farm(cloud);
    const first = await converge(stack, { lb: 1, web: 3 }, { transport: cloud.transport });
    const web = first.nodes.find((n) => n.group === 'web')!;
    cloud.host(web.name).applied.clear(); // someone edited the page by hand
    const dry = await check(stack, { transport: cloud.transport });
    assert.deepEqual(dry.nodes.flatMap((n) => n.actions.filter((a) => a.changed).map((a) => [n.name, a.name, a.status])), [[web.name, 'file /var/www/index.html', 'would-change']]);
    const lifted = await lift(stack, { transport: cloud.transport, groups: ['web'] });
    assert.equal(lifted.changed, 1);
    assert.equal(lifted.nodes.length, 3, 'only the web group ran');
    assert.equal(cloud.created, 4, 'lift creates nothing');
  });

  test('a failing action fails its node only, as data; a node that is down fails alone too', async () => {
    const cloud = fakeCloud();
    const stack = farm(cloud);
    const first = await converge(stack, { lb: 1, web: 3 }, { transport: cloud.transport });
    const [broken, down] = first.nodes.filter((n) => n.group === 'web');
    cloud.host(broken!.name).applied.clear();
    cloud.host(broken!.name).failing = { label: 'file /var/www/index.html', stderr: 'cp: no space left on device\n' };
    cloud.host(down!.name).down = true;
    const events: ForkliftEvent[] = [];
    const r = await lift(stack, { transport: cloud.transport, onEvent: (e) => events.push(e) });
    assert.equal(r.ok, false);
    const byName = new Map(r.nodes.map((n) => [n.name, n]));
    assert.deepEqual(byName.get(broken!.name)!.error, {
      code: 'ACTION',
      message: `node ${broken!.name}: action "file /var/www/index.html" failed with exit code 1\n    cp: no space left on device`,
      node: broken!.name,
      group: 'web',
      phase: 'configure',
      action: 'file /var/www/index.html',
      exitCode: 1,
      stderrTail: 'cp: no space left on device',
    });
    const unreachable = byName.get(down!.name)!.error!;
    assert.deepEqual([unreachable.code, unreachable.node, unreachable.phase, unreachable.message], ['TRANSPORT', down!.name, 'configure', `node ${down!.name} (${down!.address}): connect ECONNREFUSED`]);
    assert.equal(r.nodes.filter((n) => n.ok).length, 2, 'the other nodes finished');
    const failedEvents = events.filter((e) => e.type === 'node-phase-done' && !e.ok);
    assert.equal(failedEvents.length, 2);
  });

  test('exec runs one command per node over its connection and reports each exit code', async () => {
    const cloud = fakeCloud();
    const stack = farm(cloud);
    await converge(stack, { lb: 1, web: 3 }, { transport: cloud.transport });
    for (const host of cloud.hosts.values()) host.answer = (cmd) => ({ exitCode: cmd === 'uptime' ? 0 : 3, stdout: `${host.address} up\n` });
    const r = await exec(stack, 'web', 'uptime', { transport: cloud.transport });
    assert.equal(r.ok, true);
    assert.deepEqual(r.nodes.map((n) => n.stdout), r.nodes.map((n) => `${n.address} up\n`));
    const failed = await exec(stack, 'web', 'false', { transport: cloud.transport });
    assert.equal(failed.ok, false);
    assert.ok(failed.nodes.every((n) => n.exitCode === 3 && n.error?.code === 'EXIT' && n.error.node === n.name));
  });

  test('the library checks what it is given at its edge: the stack, the options, the counts', async () => {
    const cloud = fakeCloud();
    const transport = cloud.transport;
    await assert.rejects(converge({ stack: 'Bad Name', provider: cloud.provider, groups: [] }, {}, { transport }), {
      name: 'ConfigError',
      message: 'stack config: stack: stack names are 1-24 lowercase letters, digits or dashes, starting with a letter; groups: a stack needs at least one groupSpec(...)',
    });
    await assert.rejects(lift(farm(cloud), { transport, scriptTimeoutMs: 2.01 * 1000 }), { name: 'SpecError', message: 'options: scriptTimeoutMs: must be a whole number of milliseconds' });
    await assert.rejects(converge(farm(cloud), { web: -1 }, { transport }), { name: 'SpecError', message: 'group web: count must be a whole number from 0 to 100000, got -1' });
    await assert.rejects(exec(farm(cloud), 'web', 'true', { transport, timeoutMs: 0.5 }), { name: 'UsageError' });
    assert.equal(cloud.created, 0, 'nothing was made');
  });
});
