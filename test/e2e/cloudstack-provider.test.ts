// forklift's cloudstack provider against the CloudStack-compatible endpoint: the stack
// lock in the cloud, specs the cloud cannot meet, tagged creates, adoption of an
// interrupted create, and a cloud that misbehaves (429, 533, slow and failing jobs,
// dropped connections) without leaving an orphan.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { createProvider as createLocal } from '../../src/providers/local/index.ts';
import { TAG, type NodeInfo } from '../../src/providers/types.ts';
import { log, testEndpoint } from './endpoint.ts';
import { ssh as sshRun, stackName } from './nodes.ts';

const ep = testEndpoint('tcsp');
const stack = stackName('tcs');
const provider = () => ep.provider();

before(() => ep.open());

describe('cloudstack provider against the endpoint', () => {
  const spec = {
    image: { osFamily: 'debian', osVersionMatches: '^12' },
    hardware: { minCores: 1, minRam: 512 },
    network: { inboundPorts: [22, 80] },
    userData: { write_files: [{ path: '/root/from-user-data', content: 'hello\n' }] },
  };
  let node: NodeInfo;

  test('the stack lock lives in the cloud: a second operator is refused by name; unlock clears a dead holder', async () => {
    const a = provider();
    const b = provider();
    // Holders on another host: whether they still run cannot be told from here.
    const one = { operation: 'converge', pid: 1, host: 'elsewhere', since: 't' };
    const two = { operation: 'lift', pid: 2, host: 'elsewhere', since: 't' };
    const release = await a.lockStack!('lk', one);
    await assert.rejects(
      b.lockStack!('lk', two),
      /^ProviderError: cloudstack: stack lk is locked by forklift converge \(pid 1 on elsewhere, since t\) \[[0-9a-f]{8}, boot [0-9a-f]{8}\]; wait for it to finish, or, if that run died, run forklift unlock$/,
    );
    await release();
    await b.lockStack!('lk', two);
    // b dies without releasing: its lock stays until someone breaks it
    assert.match((await a.breakLock!('lk')) ?? '', /^forklift lift \(pid 2 on elsewhere, since t\) \[[0-9a-f]{8}, boot [0-9a-f]{8}\]$/);
    assert.equal(await a.breakLock!('lk'), undefined);
    const groups = await ep.client.list<{ name: string }>('listSecurityGroups');
    assert.ok(!groups.some((g) => g.name.startsWith('forklift.lock.')), 'no lock group is left');
  });

  test('a lock whose holder ran on this host and is gone is taken over; a live one is not', async () => {
    const ended = spawnSync('true');
    const dead = { operation: 'converge', pid: ended.pid!, host: hostname(), since: new Date().toISOString() };
    const live = { operation: 'converge', pid: process.pid, host: hostname(), since: new Date().toISOString() };
    await provider().lockStack!('lk2', dead);
    const release = await provider().lockStack!('lk2', live);
    await assert.rejects(provider().lockStack!('lk2', { ...live, operation: 'lift' }), new RegExp(`locked by forklift converge \\(pid ${process.pid} on ${hostname()}`));
    await release();
    const groups = await ep.client.list<{ name: string }>('listSecurityGroups');
    assert.ok(!groups.some((g) => g.name.startsWith('forklift.lock.')), 'no lock group is left');
  });

  test('a spec the cloud cannot meet is refused with what it offers, before anything is created', async () => {
    const p = provider();
    await assert.rejects(p.validate!({ image: { osFamily: 'ubuntu', osVersionMatches: '12.04' } }, 1, 'web'), /no template matches ubuntu.*Debian 12/);
    await assert.rejects(
      p.createNode({ stack, group: 'web', name: 'web-big', nodeSpec: { userData: 'x'.repeat(30_000) }, tags: {} }),
      /user data is 40000 bytes in base64; the limit is 32768/,
    );
    assert.deepEqual(await ep.client.list('listVirtualMachines', { name: 'web-big' }), []);
  });

  test('createNode returns a tagged node that answers SSH with the stack key, user data applied', async () => {
    node = await provider().createNode({ stack, group: 'web', name: 'web-1', nodeSpec: spec, tags: { role: 'web' } });
    assert.equal(node.state, 'running');
    assert.equal(node.tags[TAG.stack], stack);
    assert.equal(node.tags[TAG.group], 'web');
    assert.equal(node.tags[TAG.image], 'debian-12');
    assert.equal(node.tags.role, 'web');
    assert.deepEqual(node.os, { family: 'debian', version: '12' });
    const keyFile = join(ep.keyDir, stack);
    assert.equal(node.ssh.privateKey, readFileSync(keyFile, 'utf8'));
    assert.equal(sshRun(node, 'cloud-init status --wait >/dev/null; cat /root/from-user-data', { key: keyFile }).stdout.trim(), 'hello');
    const sg = await ep.client.list<{ ingressrule: Array<{ startport: number }> }>('listSecurityGroups', { securitygroupname: `forklift-${stack}.web` });
    assert.deepEqual(sg[0]!.ingressrule.map((r) => r.startport).sort((a, b) => a - b), [22, 80]);
  });

  test('a fresh provider lists the node from tags alone; tags update; destroy is idempotent', async () => {
    const p = provider();
    const listed = await p.listNodes(stack);
    assert.deepEqual(listed.map((n) => [n.id, n.name, n.group, n.address]), [[node.id, 'web-1', 'web', node.address]]);
    await p.tagNode(node, { [TAG.bootstrapped]: 'true' });
    await p.tagNode(node, { role: 'frontend' });
    const [again] = await p.listNodes(stack);
    assert.equal(again!.tags[TAG.bootstrapped], 'true');
    assert.equal(again!.tags.role, 'frontend');
    assert.deepEqual(await p.listNodes(`${stack}-other`), []);
    await p.destroyNode(node);
    await p.destroyNode(node);
    assert.deepEqual(await p.listNodes(stack), []);
  });

  test('a VM deployed but never tagged (interrupted create) is adopted by its unique name', async () => {
    const [zone] = await ep.client.list<{ id: string }>('listZones');
    const [template] = await ep.client.list<{ id: string }>('listTemplates', { templatefilter: 'executable' });
    const [offering] = await ep.client.list<{ id: string }>('listServiceOfferings');
    const orphan = await ep.client.job<{ virtualmachine: { id: string } }>('deployVirtualMachine', {
      zoneid: zone!.id, templateid: template!.id, serviceofferingid: offering!.id, name: 'web-2', displayname: `${stack}/web-2`,
    });
    const p = provider();
    assert.deepEqual(await p.listNodes(stack), []);
    const adopted = await p.createNode({ stack, group: 'web', name: 'web-2', nodeSpec: { network: { inboundPorts: [22] } }, tags: {} });
    assert.equal(adopted.id, orphan.virtualmachine.id);
    assert.deepEqual((await p.listNodes(stack)).map((n) => n.id), [adopted.id]);
    await p.destroyNode(adopted);
  });

  test('with 429s, 533s, slow jobs, a failing job and dropped connections, a re-run reaches the count with no orphan', async () => {
    await ep.open({ rateLimitEvery: 5, capacityFailures: 1, jobDelayMs: 300, failDeployJobs: 1, dropEvery: 13 });
    const p = provider();
    const want = ['web-a', 'web-b', 'web-c'];
    const errors: string[] = [];
    for (let round = 0; round < 2; round++) {
      const have = new Set((await p.listNodes(stack)).map((n) => n.name));
      const results = await Promise.allSettled(
        want.filter((n) => !have.has(n)).map((name) => p.createNode({ stack, group: 'web', name, nodeSpec: { network: { inboundPorts: [22] } }, tags: {} })),
      );
      for (const r of results) if (r.status === 'rejected') errors.push(String(r.reason?.message ?? r.reason));
    }
    if (errors.length) log(`errors reported on the way (each must be clear): ${errors.join(' | ')}`);
    for (const e of errors) assert.match(e, /^cloudstack: /);
    const nodes = await p.listNodes(stack);
    assert.deepEqual(nodes.map((n) => n.name), want);
    assert.ok(nodes.every((n) => n.state === 'running'));
    // No orphan: every VM of this stack is a listed node, and every local node backs one of them.
    const all = await ep.client.list<{ id: string; displayname: string }>('listVirtualMachines');
    assert.deepEqual(all.filter((v) => v.displayname.startsWith(`${stack}/`)).map((v) => v.id).sort(), nodes.map((n) => n.id).sort());
    assert.equal((await createLocal().listNodes(ep.localStack)).length, all.length);
    for (const n of nodes) await p.destroyNode(n);
    assert.deepEqual(await p.listNodes(stack), []);
  });
});
