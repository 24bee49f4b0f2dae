// What clients list on the way, answered as a basic zone answers (fake node backend, no LXC):
// volumes, networks, the empty lists, capabilities, jobs, account and domain; the fields of a
// VM; the common filters and paging; scope (projects, accounts); XML; 432; the README's list.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudStackClient } from '../../src/providers/cloudstack/client.ts';
import type { CloudStackError } from '../../src/providers/cloudstack/errors.ts';
import { encodeForm } from '../../src/providers/cloudstack/http.ts';
import { signRequest } from '../../src/providers/cloudstack/sign.ts';
import { CLOUDSTACK_VERSION, COMMANDS, startEndpoint, type Endpoint } from '../../src/endpoint/cloudstack/index.ts';
import { fakeBackend } from './cloudstack-fake-backend.ts';

const KEY = 'lists-key';
const SECRET = 'lists-secret-0123';
const dir = mkdtempSync(join(tmpdir(), 'forklift-cs-lists-'));
let endpoint: Endpoint;
let c: CloudStackClient;
const vms: Array<{ id: string; name: string }> = [];
before(async () => {
  endpoint = await startEndpoint({ port: 0, dataFile: join(dir, 'endpoint.json'), apiKey: KEY, secretKey: SECRET, backend: fakeBackend() });
  c = new CloudStackClient({ endpoint: endpoint.url, apiKey: KEY, secretKey: SECRET, pollMs: 10 });
  const [zone] = await c.list<{ id: string }>('listZones');
  const [template] = await c.list<{ id: string }>('listTemplates', { templatefilter: 'executable' });
  const [offering] = await c.list<{ id: string }>('listServiceOfferings');
  await c.call('registerSSHKeyPair', { name: 'lists', publickey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC8uo2JZZ7FqVvUy3QNFZ7y3ZrJkZv2Nn0kz2h5bQ5y7 l' });
  for (const name of ['alpha', 'beta', 'alphabet']) {
    const vm = (await c.job<{ virtualmachine: { id: string; name: string } }>('deployVirtualMachine', {
      zoneid: zone!.id, templateid: template!.id, serviceofferingid: offering!.id, name, displayname: `The ${name}`, keypair: 'lists',
    })).virtualmachine;
    vms.push(vm);
  }
  await c.job('createTags', { resourcetype: 'UserVm', resourceids: vms[1]!.id, 'tags[0].key': 'role', 'tags[0].value': 'db' });
  await c.job('stopVirtualMachine', { id: vms[2]!.id });
});
after(async () => {
  await endpoint.close();
  rmSync(dir, { recursive: true, force: true });
});

const ids = (items: Array<{ id: string }>) => items.map((i) => i.id).sort();
const idsOf = (...names: string[]) => vms.filter((v) => names.includes(v.name)).map((v) => v.id).sort();

test('a VM carries the fields the reference lists: keypair, tags, security groups with rules, template, zone, offering, NIC, created, hypervisor', async () => {
  const [vm] = await c.list<Record<string, any>>('listVirtualMachines', { id: vms[1]!.id });
  for (const field of ['keypair', 'tags', 'securitygroup', 'templatename', 'zonename', 'serviceofferingname', 'created', 'hypervisor', 'account', 'domainid', 'ostypeid']) {
    assert.ok(vm![field] !== undefined, `field ${field}`);
  }
  assert.equal(vm!.keypair, 'lists');
  assert.deepEqual(vm!.tags.map((t: { key: string; value: string }) => [t.key, t.value]), [['role', 'db']]);
  assert.ok(Array.isArray(vm!.securitygroup[0].ingressrule));
  assert.match(vm!.nic[0].ipaddress, /^10\.77\./);
  assert.equal(vm!.nic[0].networkid, (await c.list<{ id: string }>('listNetworks'))[0]!.id);
  assert.equal(vm!.hypervisor, 'LXC');
  assert.match(vm!.created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000$/);
});

test('listNics: the VM\'s one NIC on the guest network, as in the VM', async () => {
  const [vm] = await c.list<{ nic: unknown[] }>('listVirtualMachines', { id: vms[0]!.id });
  assert.deepEqual(await c.list('listNics', { virtualmachineid: vms[0]!.id }), vm!.nic);
  await assert.rejects(c.call('listNics', {}), (e: CloudStackError) => e.status === 431 && /missing parameter virtualmachineid/.test(e.errortext));
});

test('filters: id, ids, name (a substring for VMs), keyword, state, tags, listall', async () => {
  const list = (p: Record<string, string>) => c.list<{ id: string }>('listVirtualMachines', p).then(ids);
  assert.deepEqual(await list({ id: vms[0]!.id }), idsOf('alpha'));
  assert.deepEqual(await list({ ids: `${vms[0]!.id},${vms[1]!.id}` }), idsOf('alpha', 'beta'));
  assert.deepEqual(await list({ name: 'alpha' }), idsOf('alpha', 'alphabet'));
  assert.deepEqual(await list({ keyword: 'THE BETA' }), idsOf('beta'));
  assert.deepEqual(await list({ keyword: 'stopped' }), idsOf('alphabet'), 'keyword equal to a state');
  assert.deepEqual(await list({ state: 'Stopped' }), idsOf('alphabet'));
  assert.deepEqual(await list({ 'tags[0].key': 'role', 'tags[0].value': 'db', listall: 'true' }), idsOf('beta'));
  assert.equal((await c.list('listSSHKeyPairs', { name: 'lists' })).length, 1);
  assert.equal((await c.list('listZones', { name: 'local-1' })).length, 1);
  assert.deepEqual(await c.call('listZones', { name: 'local' }), {}, 'name is exact outside VMs');
});

test('paging: pagesize 1-500 or -1 (all, no page); count is the whole list', async () => {
  const page = await c.call<{ count: number; virtualmachine: Array<{ id: string }> }>('listVirtualMachines', { page: '2', pagesize: '2' });
  assert.deepEqual([page.count, page.virtualmachine.length], [3, 1]);
  assert.equal((await c.call<{ virtualmachine: unknown[] }>('listVirtualMachines', { pagesize: '-1' })).virtualmachine.length, 3);
  await assert.rejects(c.call('listVirtualMachines', { pagesize: '-1', page: '1' }), (e: CloudStackError) => e.status === 431 && /pagesize is -1/.test(e.errortext));
  await assert.rejects(c.call('listVirtualMachines', { page: '1', pagesize: '501' }), (e: CloudStackError) => e.status === 431 && /max allowed page size value: 500/.test(e.errortext));
  await assert.rejects(c.call('listVirtualMachines', { page: 'x' }), (e: CloudStackError) => e.status === 431 && /invalid value x for parameter page/.test(e.errortext));
});

test('listVolumes: each VM has its ROOT volume, found by VM, type, id and tags', async () => {
  const volumes = await c.list<{ id: string; type: string; virtualmachineid: string; vmname: string; size: number; state: string }>('listVolumes');
  assert.deepEqual(volumes.map((v) => v.vmname).sort(), ['alpha', 'alphabet', 'beta']);
  assert.ok(volumes.every((v) => v.type === 'ROOT' && v.state === 'Ready' && v.size > 0));
  const [beta] = await c.list<{ id: string; virtualmachineid: string }>('listVolumes', { virtualmachineid: vms[1]!.id });
  assert.equal(beta!.virtualmachineid, vms[1]!.id);
  assert.deepEqual(await c.call('listVolumes', { type: 'DATADISK' }), {});
  await c.job('createTags', { resourcetype: 'Volume', resourceids: beta!.id, 'tags[0].key': 'backup', 'tags[0].value': 'yes' });
  assert.deepEqual(ids(await c.list('listVolumes', { 'tags[0].key': 'backup' })), [beta!.id]);
  assert.deepEqual(ids(await c.list('listVolumes', { id: beta!.id })), [beta!.id]);
});

test('a basic zone: one shared guest network with security groups; no public addresses, forwarding rules, affinity groups or projects', async () => {
  const [network, ...more] = await c.list<{ type: string; traffictype: string; service: Array<{ name: string }>; zoneid: string }>('listNetworks');
  assert.equal(more.length, 0);
  assert.deepEqual([network!.type, network!.traffictype], ['Shared', 'Guest']);
  assert.ok(network!.service.some((s) => s.name === 'SecurityGroup'));
  assert.deepEqual(await c.call('listNetworks', { type: 'Isolated' }), {});
  for (const command of ['listPublicIpAddresses', 'listPortForwardingRules', 'listIpForwardingRules', 'listAffinityGroups', 'listProjects']) {
    assert.deepEqual(await c.call(command, { listall: 'true' }), {}, command);
  }
});

test('capabilities, OS types, jobs, the domain and the account', async () => {
  const { capability } = await c.call<{ capability: Record<string, unknown> }>('listCapabilities');
  assert.deepEqual([capability.cloudstackversion, capability.securitygroupsenabled, capability.allowuserexpungerecovervm], [CLOUDSTACK_VERSION, true, true]);
  const [os] = await c.list<{ id: string; description: string }>('listOsTypes');
  const [template] = await c.list<{ ostypeid: string }>('listTemplates', { templatefilter: 'featured' });
  assert.equal(os!.id, template!.ostypeid);
  const jobs = await c.list<{ cmd: string; jobstatus: number; jobinstanceid?: string }>('listAsyncJobs');
  assert.ok(jobs.some((j) => j.cmd === 'stopVirtualMachine' && j.jobstatus === 1 && j.jobinstanceid === vms[2]!.id));
  assert.deepEqual(await c.call('listAsyncJobs', { startdate: '2999-01-01T00:00:00+0000' }), {});
  const [domain] = await c.list<{ id: string; name: string }>('listDomains');
  assert.equal(domain!.name, 'ROOT');
  const [account] = await c.list<{ name: string; domainid: string; vmtotal: number; vmrunning: number; vmstopped: number }>('listAccounts');
  assert.deepEqual([account!.name, account!.domainid, account!.vmtotal, account!.vmrunning, account!.vmstopped], ['forklift', domain!.id, 3, 2, 1]);
});

test('scope: no projects (projectid=-1 lists nothing), no other account or domain', async () => {
  assert.deepEqual(await c.call('listVirtualMachines', { projectid: '-1' }), {});
  await assert.rejects(c.call('listVirtualMachines', { projectid: 'p1' }), (e: CloudStackError) => e.status === 431 && /no projects/.test(e.errortext));
  await assert.rejects(c.call('listVirtualMachines', { account: 'admin', domainid: 'x' }), (e: CloudStackError) => e.status === 431 && /domain by id x/.test(e.errortext));
  assert.equal((await c.list('listVirtualMachines', { account: 'forklift', listall: 'true' })).length, 3);
});

/** A signed request as a client without JSON would send it. */
async function get(params: Record<string, string>) {
  const res = await fetch(`${endpoint.url}?${encodeForm(signRequest(params, KEY, SECRET))}`);
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
}

test('XML, CloudStack\'s default, is served: without response, or with response=xml; errors too', async () => {
  const zones = await get({ command: 'listZones' });
  assert.equal(zones.status, 200);
  assert.match(zones.type, /^text\/xml/);
  assert.match(zones.text, new RegExp(`^<\\?xml version="1.0" encoding="UTF-8"\\?><listzonesresponse cloud-stack-version="${CLOUDSTACK_VERSION}"><count>1</count><zone><id>[^<]+</id><name>local-1</name>`));
  const vm = await get({ command: 'listVirtualMachines', response: 'xml', id: vms[1]!.id });
  assert.match(vm.text, /<virtualmachine>.*<nic><id>[^<]+<\/id>.*<ipaddress>10\.77\.[\d.]+<\/ipaddress>.*<\/nic>.*<tags><resourceid>[^<]+<\/resourceid><resourcetype>UserVm<\/resourcetype><key>role<\/key><value>db<\/value>/);
  assert.match((await get({ command: 'listProjects' })).text, /<listprojectsresponse cloud-stack-version="[^"]+"><\/listprojectsresponse>$/);
  const missing = await get({ command: 'listTemplates' });
  assert.equal(missing.status, 431);
  assert.match(missing.text, /<listtemplatesresponse [^>]*><errorcode>431<\/errorcode><cserrorcode>4350<\/cserrorcode><errortext>Unable to execute API command due to missing parameter templatefilter<\/errortext>/);
  // A synchronous SuccessResponse: success is the string "true", as CloudStack writes it.
  assert.match((await get({ command: 'deleteSSHKeyPair', name: 'lists' })).text, /<success>true<\/success>/);
  await c.call('registerSSHKeyPair', { name: 'lists2', publickey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC8uo2JZZ7FqVvUy3QNFZ7y3ZrJkZv2Nn0kz2h5bQ5y7 l' });
  assert.deepEqual(await c.call('deleteSSHKeyPair', { name: 'lists2' }), { success: 'true' });
  const escaped = await get({ command: 'createSecurityGroup', name: 'x<&>"y' });
  assert.match(escaped.text, /<name>x&#60;&#38;&#62;&#34;y<\/name>/);
  assert.match((await get({ command: 'listZones', response: 'JSON' })).type, /^application\/json/);
});

test('an unknown command gets 432 naming it; the README lists exactly the commands there are', async () => {
  await assert.rejects(c.call('createVPC'), (e: CloudStackError) => e.status === 432 && /The given command createVPC does not exist/.test(e.errortext));
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const section = /<!-- endpoint-commands -->([\s\S]*?)<!-- \/endpoint-commands -->/.exec(readme)?.[1] ?? '';
  const listed = [...section.matchAll(/`(\w+)`/g)].map((m) => m[1]!).sort();
  assert.deepEqual(listed, [...COMMANDS.keys()].sort());
});
