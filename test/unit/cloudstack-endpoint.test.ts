// The endpoint's API contract, with a fake node backend (no LXC): signatures, envelopes,
// paging, tags, security groups, jobs, persistence. Real nodes: test/e2e/cloudstack-endpoint.test.ts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudStackClient } from '../../src/providers/cloudstack/client.ts';
import { CloudStackError } from '../../src/providers/cloudstack/errors.ts';
import { encodeForm } from '../../src/providers/cloudstack/http.ts';
import { signRequest } from '../../src/providers/cloudstack/sign.ts';
import { startEndpoint, type Endpoint } from '../../src/endpoint/cloudstack/index.ts';
import { fakeBackend } from './cloudstack-fake-backend.ts';

const KEY = 'test-key';
const SECRET = 'test-secret+/=';
const dir = mkdtempSync(join(tmpdir(), 'forklift-cs-'));
const dataFile = join(dir, 'endpoint.json');
const fake = fakeBackend();
/** The TCP ports a fake node accepts from anywhere. */
const ports = (vmId: string) =>
  fake.nodes.get(vmId)?.ingress.flatMap((r) => (r.protocol === 'tcp' && r.cidr === '0.0.0.0/0' ? [r.startPort] : [])).sort((a, b) => a - b);
const ingress = { get: (vmId: string) => fake.nodes.get(vmId)?.ingress, has: (vmId: string) => fake.nodes.has(vmId) };

let endpoint: Endpoint;
let client: CloudStackClient;
const open = async () => {
  endpoint = await startEndpoint({ port: 0, dataFile, apiKey: KEY, secretKey: SECRET, backend: fake });
  client = new CloudStackClient({ endpoint: endpoint.url, apiKey: KEY, secretKey: SECRET, pollMs: 20 });
};

before(open);
after(async () => {
  await endpoint.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A request as given (signed or not); the answer's body is parsed when it is JSON. */
async function raw(params: Record<string, string>) {
  const res = await fetch(`${endpoint.url}?${encodeForm(params)}`);
  const type = res.headers.get('content-type');
  const text = await res.text();
  return { status: res.status, type, text, body: (type?.startsWith('application/json') ? JSON.parse(text) : {}) as Record<string, any> };
}

test('a bad signature, a wrong key or an expired v3 request is refused with 401', async () => {
  const good = signRequest({ command: 'listZones', response: 'json' }, KEY, SECRET);
  assert.equal((await raw(good)).status, 200);
  const bad = await raw({ ...good, signature: 'AAAA' + good.signature!.slice(4) });
  assert.equal(bad.status, 401);
  assert.equal(bad.body.listzonesresponse.errorcode, 401);
  assert.equal((await raw(signRequest({ command: 'listZones' }, 'other', SECRET))).status, 401);
  const expired = signRequest({ command: 'listZones' }, KEY, SECRET, { now: new Date(Date.now() - 3_600_000), ttlMs: 60_000 });
  assert.equal((await raw(expired)).status, 401);
  assert.equal((await raw(signRequest({ command: 'listZones' }, KEY, SECRET, { version: 1 }))).status, 200);
});

test('envelopes are <command>response in JSON; unknown commands and bad parameters give errors the client names', async () => {
  const ok = await raw(signRequest({ command: 'listServiceOfferings', response: 'json' }, KEY, SECRET));
  assert.match(ok.type ?? '', /^application\/json/);
  assert.ok(ok.body.listserviceofferingsresponse.count >= 3);
  await assert.rejects(client.call('noSuchCommand'), (e: CloudStackError) => e.status === 432 && /noSuchCommand failed, HTTP 432/.test(e.message));
  await assert.rejects(
    client.call('listTemplates'),
    (e: CloudStackError) => e.status === 431 && /templatefilter/.test(e.errortext) && !e.message.includes(SECRET),
  );
});

test('empty lists are {}, and paging returns every item once', async () => {
  assert.deepEqual(await client.call('listTemplates', { templatefilter: 'self' }), {});
  const [zone] = await client.list<{ id: string }>('listZones');
  const [template] = await client.list<{ id: string }>('listTemplates', { templatefilter: 'executable' });
  const [offering] = await client.list<{ id: string }>('listServiceOfferings');
  const vm = await client.job<{ virtualmachine: { id: string } }>('deployVirtualMachine', {
    zoneid: zone!.id, templateid: template!.id, serviceofferingid: offering!.id, name: 'pager',
  });
  const id = vm.virtualmachine.id;
  const tags: Record<string, string> = { resourcetype: 'UserVm', resourceids: id };
  for (let i = 0; i < 1203; i++) {
    tags[`tags[${i}].key`] = `k${i}`;
    tags[`tags[${i}].value`] = `v ${i}`;
  }
  await client.job('createTags', tags); // > 2 KB of parameters: sent as POST
  const listed = await client.list<{ key: string }>('listTags', { resourceid: id });
  assert.equal(listed.length, 1203);
  assert.equal(new Set(listed.map((t) => t.key)).size, 1203);
  const page3 = await client.call<{ count: number; tag: unknown[] }>('listTags', { resourceid: id, page: '3', pagesize: '500' });
  assert.equal(page3.count, 1203);
  assert.equal(page3.tag.length, 203);
  await client.job('destroyVirtualMachine', { id, expunge: 'true' });
  assert.deepEqual(await client.call('listTags', { resourceid: id }), {});
});

test('VMs: tag filters select exactly, name is a substring match, security group rules reach the node', async () => {
  const [zone] = await client.list<{ id: string }>('listZones');
  const [template] = await client.list<{ id: string }>('listTemplates', { templatefilter: 'featured' });
  const [offering] = await client.list<{ id: string }>('listServiceOfferings');
  const sg = await client.call<{ securitygroup: { id: string } }>('createSecurityGroup', { name: 'web-sg' });
  await client.job('authorizeSecurityGroupIngress', { securitygroupname: 'web-sg', protocol: 'TCP', startport: '80', endport: '80', cidrlist: '0.0.0.0/0' });
  const deploy = (name: string) =>
    client.job<{ virtualmachine: { id: string; state: string; nic: Array<{ ipaddress: string }> } }>('deployVirtualMachine', {
      zoneid: zone!.id, templateid: template!.id, serviceofferingid: offering!.id, name, securitygroupnames: 'web-sg',
    });
  const a = (await deploy('web-1')).virtualmachine;
  const b = (await deploy('web-10')).virtualmachine;
  assert.equal(a.state, 'Running');
  assert.match(a.nic[0]!.ipaddress, /^10\.77\./);
  assert.deepEqual(ports(a.id), [80]);
  await client.job('createTags', { resourcetype: 'UserVm', resourceids: a.id, 'tags[0].key': 'stack', 'tags[0].value': 's1', 'tags[1].key': 'group', 'tags[1].value': 'web' });
  await client.job('createTags', { resourcetype: 'UserVm', resourceids: b.id, 'tags[0].key': 'stack', 'tags[0].value': 's2', 'tags[1].key': 'group', 'tags[1].value': 'web' });
  const byName = await client.list<{ name: string }>('listVirtualMachines', { name: 'web-1' });
  assert.deepEqual(byName.map((v) => v.name).sort(), ['web-1', 'web-10']);
  const byTags = await client.list<{ id: string }>('listVirtualMachines', { 'tags[0].key': 'stack', 'tags[0].value': 's1', 'tags[1].key': 'group', 'tags[1].value': 'web' });
  assert.deepEqual(byTags.map((v) => v.id), [a.id]);
  await assert.rejects(client.job('createTags', { resourcetype: 'UserVm', resourceids: a.id, 'tags[0].key': 'stack', 'tags[0].value': 'x' }), /already exists/);
  await client.job('authorizeSecurityGroupIngress', { securitygroupid: sg.securitygroup.id, protocol: 'TCP', startport: '443', endport: '443' });
  assert.deepEqual(ports(a.id), [80, 443]);
  await assert.rejects(deploy('web-1'), (e: CloudStackError) => e.status === 431);
  await client.job('destroyVirtualMachine', { id: b.id, expunge: 'true' });
  assert.equal(ingress.has(b.id), false);
});

test('security group rules keep their CIDR, protocol, port range and ICMP type on the node; what cannot be enforced is refused', async () => {
  const [zone] = await client.list<{ id: string }>('listZones');
  const [template] = await client.list<{ id: string }>('listTemplates', { templatefilter: 'executable' });
  const [offering] = await client.list<{ id: string }>('listServiceOfferings');
  await client.call('createSecurityGroup', { name: 'rules-sg' });
  const authorize = (rule: Record<string, string>) => client.job('authorizeSecurityGroupIngress', { securitygroupname: 'rules-sg', ...rule });
  await authorize({ protocol: 'UDP', startport: '53', endport: '53', cidrlist: '10.0.0.0/8,192.168.1.0/24' });
  await authorize({ protocol: 'TCP', startport: '1', endport: '65535', cidrlist: '10.77.0.1/32' });
  await authorize({ protocol: 'ICMP', icmptype: '8', icmpcode: '0', cidrlist: '0.0.0.0/0' });
  const vm = (await client.job<{ virtualmachine: { id: string } }>('deployVirtualMachine', {
    zoneid: zone!.id, templateid: template!.id, serviceofferingid: offering!.id, name: 'rules', securitygroupnames: 'rules-sg',
  })).virtualmachine;
  assert.deepEqual(ingress.get(vm.id), [
    { protocol: 'udp', cidr: '10.0.0.0/8', startPort: 53, endPort: 53 },
    { protocol: 'udp', cidr: '192.168.1.0/24', startPort: 53, endPort: 53 },
    { protocol: 'tcp', cidr: '10.77.0.1/32', startPort: 1, endPort: 65535 },
    { protocol: 'icmp', cidr: '0.0.0.0/0', icmpType: 8, icmpCode: 0 },
  ]);
  await authorize({ protocol: 'ALL', cidrlist: '172.16.0.0/12' });
  assert.deepEqual(ingress.get(vm.id)?.at(-1), { protocol: 'all', cidr: '172.16.0.0/12' });
  const [group] = await client.list<{ ingressrule: Array<{ protocol: string }> }>('listSecurityGroups', { securitygroupname: 'rules-sg' });
  const icmp = group!.ingressrule.find((r) => r.protocol === 'icmp') as { icmptype?: number; icmpcode?: number } | undefined;
  assert.deepEqual([icmp?.icmptype, icmp?.icmpcode], [8, 0]);

  const refused: Array<[Record<string, string>, RegExp]> = [
    [{ protocol: 'TCP', startport: '80', cidrlist: '::/0' }, /IPv6 CIDR ::\/0 is not supported/],
    [{ protocol: 'TCP', startport: '80', cidrlist: '10.0.0.0/33' }, /Invalid CIDR 10\.0\.0\.0\/33/],
    [{ protocol: 'TCP', startport: '80', cidrlist: '0.0.0.0/0 -j ACCEPT' }, /Invalid CIDR/],
    [{ protocol: 'TCP', startport: '80', cidrlist: '10.1.2.3' }, /Invalid CIDR 10\.1\.2\.3:/],
    [{ protocol: 'GRE', cidrlist: '0.0.0.0/0' }, /Invalid protocol GRE: supported are TCP, UDP, ICMP and ALL/],
    [{ protocol: 'TCP', startport: 'abc', cidrlist: '0.0.0.0/0' }, /Invalid port range abc/],
    [{ protocol: 'UDP', startport: '90', endport: '80' }, /Invalid port range 90-80/],
    [{ protocol: 'ICMP', icmpcode: '3' }, /ICMP code 3 needs an ICMP type/],
    [{ protocol: 'ICMP', icmptype: '300' }, /Invalid ICMP type/],
    [{ protocol: 'TCP', startport: '22', 'usersecuritygrouplist[0].account': 'admin', 'usersecuritygrouplist[0].group': 'web' }, /usersecuritygrouplist\) are not supported/],
  ];
  for (const [rule, message] of refused) {
    await assert.rejects(authorize(rule), (e: CloudStackError) => e.status === 431 && message.test(e.errortext), JSON.stringify(rule));
  }
  assert.equal(ingress.get(vm.id)?.length, 5, 'a refused rule changes nothing on the node');
  await client.job('destroyVirtualMachine', { id: vm.id, expunge: 'true' });
});

test('state survives a restart: VMs, tags, groups, key pairs and finished jobs', async () => {
  await client.call('registerSSHKeyPair', { name: 'k1', publickey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC8uo2JZZ7FqVvUy3QNFZ7y3ZrJkZv2Nn0kz2h5bQ5y7 test' });
  const before = await client.list('listVirtualMachines', { 'tags[0].key': 'stack', 'tags[0].value': 's1' });
  await endpoint.close();
  await open();
  assert.deepEqual(await client.list('listVirtualMachines', { 'tags[0].key': 'stack', 'tags[0].value': 's1' }), before);
  assert.equal((await client.list('listSSHKeyPairs', { name: 'k1' })).length, 1);
  assert.equal((await client.list('listSecurityGroups', { securitygroupname: 'web-sg' })).length, 1);
});
