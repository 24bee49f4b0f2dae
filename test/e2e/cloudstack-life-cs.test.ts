// A VM's whole life on the CloudStack-compatible endpoint, driven by Debian's python3-cs as its
// users run it (`python3 -m cs command key=value`), each step checked on the real node: deploy →
// stop (port 22 closes) → start (it opens again; a file written before the stop is there) →
// reboot (a new boot id) → update, scale (the node's memory limit follows), reset the key →
// destroy → recover → destroy → expunge. And the lists cs users ask for on the way.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { before, test } from 'node:test';
import { createProvider as createLocal } from '../../src/providers/local/index.ts';
import { csClient, nodeFacts, PYTHON, sshWith, testEndpoint, userKey } from './endpoint.ts';
import { canConnect, ensureDebianPackage } from './helpers.ts';
import { ssh } from './nodes.ts';

const ep = testEndpoint('tcsl');
const { cs } = csClient(ep);
const run = `${process.pid}`;
const b64 = (text: string) => Buffer.from(text).toString('base64');

before(async () => {
  ensureDebianPackage('python3-cs', () => spawnSync(PYTHON, ['-c', 'import cs']).status === 0);
  await ep.open();
});

/** The VM as cs lists it (destroyed ones included, as CloudStack shows them to this account). */
async function listed(id: string): Promise<any> {
  const { virtualmachine = [] } = await cs('listVirtualMachines', `id=${id}`);
  return virtualmachine[0];
}

const localNode = async (vmId: string) => (await createLocal().listNodes(ep.localStack)).find((n) => n.tags['cloudstack-vm'] === vmId);

test('cs drives a VM through its whole life, and the node follows each step', async () => {
  const [key, pub] = userKey(ep, 'life_key');
  const [newKey, newPub] = userKey(ep, 'life_key2');
  await cs('registerSSHKeyPair', `name=life-${run}`, `publickey=${pub}`);
  await cs('registerSSHKeyPair', `name=life2-${run}`, `publickey=${newPub}`);
  const zone = (await cs('listZones')).zone[0].id;
  const template = (await cs('listTemplates', 'templatefilter=executable')).template[0].id;
  const offerings: Array<{ id: string; name: string }> = (await cs('listServiceOfferings')).serviceoffering;
  const offering = (name: string) => offerings.find((o) => o.name === name)!.id;

  // deploy: Running, reachable with the key pair; user data ran at first boot.
  const vm = (await cs('deployVirtualMachine', `zoneid=${zone}`, `templateid=${template}`, `serviceofferingid=${offering('Micro')}`,
    `name=life-${run}`, `keypair=life-${run}`, `userdata=${b64('#!/bin/sh\necho first > /root/userdata\n')}`)).virtualmachine;
  assert.equal(vm.state, 'Running');
  const ip: string = vm.nic[0].ipaddress;
  sshWith(ip, key, 'echo kept > /root/before-stop');
  const first = nodeFacts(ip, key);
  assert.equal(first.memoryMiB, 512, 'Micro: 512 MiB');

  // stop: the node is down, port 22 closes.
  assert.equal((await cs('stopVirtualMachine', `id=${vm.id}`)).virtualmachine.state, 'Stopped');
  assert.equal((await listed(vm.id)).state, 'Stopped');
  assert.equal(await canConnect(ip, 22), false, 'port 22 closes when the VM stops');
  assert.equal((await localNode(vm.id))?.state, 'stopped');

  // start: it opens again, the file written before the stop is there.
  assert.equal((await cs('startVirtualMachine', `id=${vm.id}`)).virtualmachine.state, 'Running');
  assert.equal(await canConnect(ip, 22), true);
  assert.equal(sshWith(ip, key, 'cat /root/before-stop'), 'kept');
  const second = nodeFacts(ip, key);
  assert.notEqual(second.bootId, first.bootId, 'a start is a boot');

  // reboot: a new boot, the files stay.
  assert.equal((await cs('rebootVirtualMachine', `id=${vm.id}`)).virtualmachine.state, 'Running');
  assert.notEqual(nodeFacts(ip, key).bootId, second.bootId, 'the node rebooted');
  assert.equal(sshWith(ip, key, 'cat /root/before-stop /root/userdata'), 'kept\nfirst');

  // update: display name and user data.
  const userdata = b64('#!/bin/sh\necho second\n');
  assert.equal((await cs('updateVirtualMachine', `id=${vm.id}`, 'displayname=Life of a VM', `userdata=${userdata}`)).virtualmachine.displayname, 'Life of a VM');
  assert.equal((await cs('getVirtualMachineUserData', `virtualmachineid=${vm.id}`)).virtualmachineuserdata.userdata, userdata);

  // scale while running: the node's memory limit follows at once.
  assert.equal((await cs('scaleVirtualMachine', `id=${vm.id}`, `serviceofferingid=${offering('Small')}`)).virtualmachine.serviceofferingname, 'Small');
  assert.equal(nodeFacts(ip, key).memoryMiB, 1024, 'Small: 1024 MiB, live');

  // reset the key (stopped, as CloudStack wants it) and change the offering back while stopped.
  await cs('stopVirtualMachine', `id=${vm.id}`);
  assert.equal((await cs('resetSSHKeyForVirtualMachine', `id=${vm.id}`, `keypair=life2-${run}`)).virtualmachine.keypair, `life2-${run}`);
  assert.equal((await cs('changeServiceForVirtualMachine', `id=${vm.id}`, `serviceofferingid=${offering('Micro')}`)).virtualmachine.serviceofferingname, 'Micro');
  await cs('startVirtualMachine', `id=${vm.id}`);
  assert.equal(sshWith(ip, newKey, 'cat /root/before-stop'), 'kept', 'the new key is let in');
  assert.notEqual(ssh(ip, 'true', { key }).code, 0, 'the old key is not');
  assert.equal(nodeFacts(ip, newKey).memoryMiB, 512);

  // destroy: Destroyed and listed, the node stopped but kept; recover: Stopped, files intact.
  assert.equal((await cs('destroyVirtualMachine', `id=${vm.id}`)).virtualmachine.state, 'Destroyed');
  assert.equal((await listed(vm.id)).state, 'Destroyed');
  assert.equal(await canConnect(ip, 22), false);
  assert.equal((await localNode(vm.id))?.state, 'stopped');
  assert.equal((await cs('recoverVirtualMachine', `id=${vm.id}`)).virtualmachine.state, 'Stopped');
  await cs('startVirtualMachine', `id=${vm.id}`);
  assert.equal(sshWith(ip, newKey, 'cat /root/before-stop'), 'kept', 'a recovered VM has its files');

  // destroy, then expunge: the VM and its node are gone.
  await cs('destroyVirtualMachine', `id=${vm.id}`);
  assert.equal((await cs('expungeVirtualMachine', `id=${vm.id}`)).success, true);
  assert.equal(await listed(vm.id), undefined);
  assert.equal(await localNode(vm.id), undefined);
});

test('cs lists what a basic zone has: the ROOT volume, one network, no public addresses or forwarding rules', async () => {
  const zone = (await cs('listZones')).zone[0].id;
  const template = (await cs('listTemplates', 'templatefilter=executable')).template[0].id;
  const offering = (await cs('listServiceOfferings')).serviceoffering[0].id;
  const vm = (await cs('deployVirtualMachine', `zoneid=${zone}`, `templateid=${template}`, `serviceofferingid=${offering}`, `name=lists-${run}`, 'startvm=false')).virtualmachine;
  assert.equal(vm.state, 'Stopped', 'startvm=false');
  assert.equal(await canConnect(vm.nic[0].ipaddress, 22), false);
  const [volume] = (await cs('listVolumes', `virtualmachineid=${vm.id}`)).volume;
  assert.deepEqual([volume.type, volume.vmname, volume.state], ['ROOT', `lists-${run}`, 'Ready']);
  assert.equal((await cs('listNetworks')).network[0].id, vm.nic[0].networkid);
  for (const command of ['listPublicIpAddresses', 'listPortForwardingRules', 'listIpForwardingRules', 'listAffinityGroups', 'listProjects']) {
    assert.deepEqual(await cs(command), {}, command);
  }
  assert.equal((await cs('listCapabilities')).capability.securitygroupsenabled, true);
  assert.ok((await cs('listOsTypes')).ostype.length >= 1);
  assert.equal((await cs('listAccounts')).account[0].name, 'forklift');
  assert.equal((await cs('listDomains')).domain[0].name, 'ROOT');
  assert.ok((await cs('listAsyncJobs')).asyncjobs.some((j: { jobinstanceid?: string }) => j.jobinstanceid === vm.id));
  await cs('destroyVirtualMachine', `id=${vm.id}`, 'expunge=true');
});
