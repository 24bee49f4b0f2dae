// A VM's whole life through the endpoint, with a fake node backend (no LXC): startvm=false,
// stop/start/reboot reaching the node, jobs on one VM in order, update, key reset, scaling,
// destroy/recover/expunge, and states taken from the nodes after a restart. Real nodes:
// test/e2e/cloudstack-endpoint.test.ts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudStackClient } from '../../src/providers/cloudstack/client.ts';
import type { CloudStackError } from '../../src/providers/cloudstack/errors.ts';
import { startEndpoint, type Endpoint } from '../../src/endpoint/cloudstack/index.ts';
import { fakeBackend } from './cloudstack-fake-backend.ts';

const dir = mkdtempSync(join(tmpdir(), 'forklift-cs-life-'));
const fake = fakeBackend();
let endpoint: Endpoint;
let c: CloudStackClient;
const open = async () => {
  endpoint = await startEndpoint({ port: 0, dataFile: join(dir, 'endpoint.json'), apiKey: 'life-key', secretKey: 'life-secret-0123', backend: fake });
  c = new CloudStackClient({ endpoint: endpoint.url, apiKey: 'life-key', secretKey: 'life-secret-0123', pollMs: 10 });
};
before(open);
after(async () => {
  await endpoint.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Vm { id: string; name: string; state: string; displayname: string; serviceofferingid: string; keypair?: string; group?: string; haenable: boolean; securitygroup: Array<{ name: string }> }
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC8uo2JZZ7FqVvUy3QNFZ7y3ZrJkZv2Nn0kz2h5bQ5y7 life';
const offerings = async () => c.list<{ id: string; name: string }>('listServiceOfferings');
const vmNamed = async (id: string) => (await c.list<Vm>('listVirtualMachines', { id }))[0];
const is431 = (text: RegExp) => (e: CloudStackError) => e.status === 431 && text.test(e.errortext);
const jobFails = (text: RegExp) => (e: CloudStackError) => text.test(e.errortext ?? e.message);

async function deploy(name: string, extra: Record<string, string> = {}): Promise<Vm> {
  const [zone] = await c.list<{ id: string }>('listZones');
  const [template] = await c.list<{ id: string }>('listTemplates', { templatefilter: 'executable' });
  const [offering] = await offerings();
  return (await c.job<{ virtualmachine: Vm }>('deployVirtualMachine', { zoneid: zone!.id, templateid: template!.id, serviceofferingid: offering!.id, name, ...extra })).virtualmachine;
}

test('startvm=false makes a Stopped VM whose node exists and never booted; start, stop and reboot reach the node', async () => {
  const vm = await deploy('life-1', { startvm: 'False' }); // libcloud sends Python's False
  assert.equal(vm.state, 'Stopped');
  assert.deepEqual([fake.nodes.get(vm.id)?.running, fake.nodes.get(vm.id)?.boots], [false, 0]);
  assert.equal((await c.job<{ virtualmachine: Vm }>('startVirtualMachine', { id: vm.id })).virtualmachine.state, 'Running');
  assert.deepEqual([fake.nodes.get(vm.id)?.running, fake.nodes.get(vm.id)?.boots], [true, 1]);
  assert.equal((await c.job<{ virtualmachine: Vm }>('startVirtualMachine', { id: vm.id })).virtualmachine.state, 'Running', 'starting a running VM does nothing');
  await c.job('rebootVirtualMachine', { id: vm.id });
  assert.equal(fake.nodes.get(vm.id)?.boots, 2);
  assert.equal((await c.job<{ virtualmachine: Vm }>('stopVirtualMachine', { id: vm.id })).virtualmachine.state, 'Stopped');
  assert.equal(fake.nodes.get(vm.id)?.running, false);
  await assert.rejects(c.job('rebootVirtualMachine', { id: vm.id }), jobFails(/is Stopped, not Running/));
  assert.equal((await vmNamed(vm.id))?.state, 'Stopped');
});

test('two deploys with one name at once: one VM is made, the other gets 431', async () => {
  const results = await Promise.allSettled([deploy('life-twin'), deploy('life-twin')]);
  assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
  assert.equal((await c.list('listVirtualMachines', { name: 'life-twin' })).length, 1);
});

test('jobs on one VM run in the order asked: stop then start, sent at once, leave it Running and booted again', async () => {
  const vm = await deploy('life-2');
  const stop = await c.call<{ jobid: string }>('stopVirtualMachine', { id: vm.id });
  const start = await c.call<{ jobid: string }>('startVirtualMachine', { id: vm.id });
  await c.waitJob('stopVirtualMachine', stop.jobid);
  assert.equal((await c.waitJob<{ virtualmachine: Vm }>('startVirtualMachine', start.jobid)).virtualmachine.state, 'Running');
  assert.deepEqual([fake.nodes.get(vm.id)?.running, fake.nodes.get(vm.id)?.boots], [true, 2]);
});

test('updateVirtualMachine: display name, group, HA flag, user data; security groups only while stopped; no renames', async () => {
  const vm = await deploy('life-3', { userdata: Buffer.from('#!/bin/sh\necho one\n').toString('base64') });
  const userdata = Buffer.from('#!/bin/sh\necho two\n').toString('base64');
  const updated = (await c.call<{ virtualmachine: Vm }>('updateVirtualMachine', { id: vm.id, displayname: 'Life Three', group: 'web', haenable: 'true', userdata })).virtualmachine;
  assert.deepEqual([updated.displayname, updated.group, updated.haenable, updated.name], ['Life Three', 'web', true, 'life-3']);
  const got = await c.call<{ virtualmachineuserdata: { userdata: string } }>('getVirtualMachineUserData', { virtualmachineid: vm.id });
  assert.equal(got.virtualmachineuserdata.userdata, userdata);
  await assert.rejects(c.call('updateVirtualMachine', { id: vm.id, name: 'other' }), is431(/host name \(name\) is not supported/));
  await c.call('createSecurityGroup', { name: 'life-web' });
  await c.job('authorizeSecurityGroupIngress', { securitygroupname: 'life-web', protocol: 'TCP', startport: '80', cidrlist: '0.0.0.0/0' });
  await assert.rejects(c.call('updateVirtualMachine', { id: vm.id, securitygroupnames: 'life-web' }), is431(/only when it is stopped: it is Running/));
  await c.job('stopVirtualMachine', { id: vm.id });
  const moved = (await c.call<{ virtualmachine: Vm }>('updateVirtualMachine', { id: vm.id, securitygroupnames: 'life-web' })).virtualmachine;
  assert.deepEqual(moved.securitygroup.map((g) => g.name), ['life-web']);
  assert.deepEqual(fake.nodes.get(vm.id)?.ingress, [{ protocol: 'tcp', cidr: '0.0.0.0/0', startPort: 80, endPort: 80 }]);
});

test('resetSSHKeyForVirtualMachine: refused while running, the stopped node gets the new key', async () => {
  await c.call('registerSSHKeyPair', { name: 'life-key', publickey: KEY });
  const vm = await deploy('life-4');
  await assert.rejects(c.call('resetSSHKeyForVirtualMachine', { id: vm.id, keypair: 'life-key' }), is431(/should be stopped to do SSH Key reset: it is Running/));
  await c.job('stopVirtualMachine', { id: vm.id });
  await assert.rejects(c.call('resetSSHKeyForVirtualMachine', { id: vm.id, keypair: 'nope' }), is431(/'nope' does not exist/));
  const reset = (await c.job<{ virtualmachine: Vm }>('resetSSHKeyForVirtualMachine', { id: vm.id, keypair: 'life-key' })).virtualmachine;
  assert.equal(reset.keypair, 'life-key');
  assert.deepEqual(fake.nodes.get(vm.id)?.keys, [KEY]);
});

test('scaleVirtualMachine resizes a running VM, changeServiceForVirtualMachine a stopped one; a size beyond the host gets 533', async () => {
  const all = await offerings();
  const [small, medium, large] = ['Small', 'Medium', 'Large'].map((n) => all.find((o) => o.name === n)!);
  const vm = await deploy('life-5');
  assert.equal((await c.job<{ virtualmachine: Vm }>('scaleVirtualMachine', { id: vm.id, serviceofferingid: medium!.id })).virtualmachine.serviceofferingid, medium!.id);
  assert.deepEqual(fake.nodes.get(vm.id)?.hardware, { cores: 2, memoryMiB: 2048 });
  await assert.rejects(c.call('scaleVirtualMachine', { id: vm.id, serviceofferingid: large!.id }), (e: CloudStackError) => e.status === 533 && /exceeds this host's 2 cores/.test(e.errortext));
  await assert.rejects(c.call('changeServiceForVirtualMachine', { id: vm.id, serviceofferingid: small!.id }), is431(/in state Running; make sure the virtual machine is stopped/));
  await c.job('stopVirtualMachine', { id: vm.id });
  assert.equal((await c.call<{ virtualmachine: Vm }>('changeServiceForVirtualMachine', { id: vm.id, serviceofferingid: small!.id })).virtualmachine.serviceofferingid, small!.id);
  assert.deepEqual(fake.nodes.get(vm.id)?.hardware, { cores: 1, memoryMiB: 1024 });
  await assert.rejects(deploy('life-5-large', { serviceofferingid: large!.id }), (e: CloudStackError) => e.status === 533);
  assert.equal((await c.list('listVirtualMachines', { name: 'life-5-large' })).length, 0, 'a refused deploy leaves no VM');
});

test('destroy keeps a Destroyed VM (listed, node stopped) until expunged; recover makes it Stopped with the same node', async () => {
  const vm = await deploy('life-6');
  await c.job('createTags', { resourcetype: 'UserVm', resourceids: vm.id, 'tags[0].key': 'life', 'tags[0].value': '6' });
  assert.equal((await c.job<{ virtualmachine: Vm }>('destroyVirtualMachine', { id: vm.id })).virtualmachine.state, 'Destroyed');
  assert.equal((await vmNamed(vm.id))?.state, 'Destroyed');
  assert.equal((await c.list('listVirtualMachines', { id: vm.id, state: 'present' })).length, 0);
  assert.deepEqual([fake.nodes.has(vm.id), fake.nodes.get(vm.id)?.running], [true, false]);
  await assert.rejects(c.call('startVirtualMachine', { id: vm.id }), is431(/is Destroyed/));
  assert.equal((await c.call<{ virtualmachine: Vm }>('recoverVirtualMachine', { id: vm.id })).virtualmachine.state, 'Stopped');
  await assert.rejects(c.call('recoverVirtualMachine', { id: vm.id }), is431(/it is Stopped, not Destroyed/));
  await assert.rejects(c.call('expungeVirtualMachine', { id: vm.id }), is431(/either in Destroyed or Expunging state/));
  await c.job('startVirtualMachine', { id: vm.id });
  await c.job('destroyVirtualMachine', { id: vm.id });
  await c.job('expungeVirtualMachine', { id: vm.id });
  assert.deepEqual(await c.call('listVirtualMachines', { id: vm.id }), {});
  assert.deepEqual(await c.call('listTags', { resourceid: vm.id }), {});
  assert.equal(fake.nodes.has(vm.id), false);
  const other = await deploy('life-7');
  await c.job('destroyVirtualMachine', { id: other.id, expunge: 'true' });
  assert.deepEqual([await c.call('listVirtualMachines', { id: other.id }), fake.nodes.has(other.id)], [{}, false]);
  const orphan = await deploy('life-7b');
  fake.nodes.delete(orphan.id); // its node was removed behind the endpoint's back
  await c.job('destroyVirtualMachine', { id: orphan.id, expunge: 'true' });
  assert.deepEqual(await c.call('listVirtualMachines', { id: orphan.id }), {}, 'a VM whose node is gone can still be destroyed');
});

test('after a restart, each VM is in the state its node is in (the host may have rebooted meanwhile)', async () => {
  const vm = await deploy('life-8');
  await endpoint.close();
  fake.nodes.get(vm.id)!.running = false; // the host rebooted: the node did not come back up
  await open();
  assert.equal((await vmNamed(vm.id))?.state, 'Stopped');
  await c.job('startVirtualMachine', { id: vm.id });
  assert.equal((await vmNamed(vm.id))?.state, 'Running');
});

test('a restart whose nodes cannot be read still serves, the states as recorded', async () => {
  const vm = await deploy('life-9');
  await endpoint.close();
  const power = fake.power;
  fake.power = async () => {
    throw new Error('lxc-ls: not found');
  };
  try {
    await open();
    assert.equal((await vmNamed(vm.id))?.state, 'Running');
  } finally {
    fake.power = power;
  }
});
