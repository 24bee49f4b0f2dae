// The CloudStack-compatible endpoint driven by a client no one here wrote: Debian's
// python3-cs (`python3 -m cs`), as its users run it; and its security group rules (CIDR,
// UDP, port ranges, ICMP) enforced on a real node. Needs root and LXC; installs python3-cs
// with apt-get when it is missing.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { before, describe, test } from 'node:test';
import { createProvider as createLocal } from '../../src/providers/local/index.ts';
import { csClient, PYTHON, sshWith, testEndpoint, userKey } from './endpoint.ts';
import { canConnect, ensureDebianPackage } from './helpers.ts';
import { serveHttp, ssh as sshRun } from './nodes.ts';

const run = `${process.pid}`;
const ep = testEndpoint('tcse');

before(() => ep.open());

const { cs, run: csRun } = csClient(ep);

describe('cloudstack endpoint with the python cs client', () => {
  before(() => ensureDebianPackage('python3-cs', () => spawnSync(PYTHON, ['-c', 'import cs']).status === 0));

  test('python3-cs is installed (apt-get install python3-cs)', () => {
    assert.equal(spawnSync(PYTHON, ['-c', 'import cs']).status, 0, 'python3-cs is missing: apt-get install python3-cs');
  });

  test('cs lists zones, templates and offerings; a wrong secret gets 401', async () => {
    assert.equal((await cs('listZones')).zone[0].name, 'local-1');
    assert.match((await cs('listTemplates', 'templatefilter=executable')).template[0].name, /Debian 12/);
    assert.ok((await cs('listServiceOfferings')).serviceoffering.length >= 3);
    assert.ok((await cs('listDiskOfferings')).diskoffering.length >= 1);
    const denied = await csRun(['listZones'], 'wrong');
    assert.match(denied.err, /HTTP 401 response from CloudStack/);
    assert.equal(JSON.parse(denied.out).listzonesresponse.errorcode, 401);
  });

  test('cs deploys a VM with a key pair and a security group; the node answers SSH and the rules are enforced; tags; destroy', async () => {
    const [key, pub] = userKey(ep, 'cs_key');
    await cs('registerSSHKeyPair', 'name=cs-e2e', `publickey=${pub}`);
    await cs('createSecurityGroup', `name=cs-e2e-${run}`);
    await cs('authorizeSecurityGroupIngress', `securitygroupname=cs-e2e-${run}`, 'protocol=TCP', 'startport=80', 'endport=80', 'cidrlist=0.0.0.0/0');
    const zone = (await cs('listZones')).zone[0].id;
    const template = (await cs('listTemplates', 'templatefilter=executable')).template[0].id;
    const offering = (await cs('listServiceOfferings')).serviceoffering[0].id;
    const vm = (await cs('deployVirtualMachine', `zoneid=${zone}`, `templateid=${template}`, `serviceofferingid=${offering}`,
      `name=cs-e2e-${run}`, 'keypair=cs-e2e', `securitygroupnames=cs-e2e-${run}`)).virtualmachine;
    assert.equal(vm.state, 'Running');
    const ip = vm.nic[0].ipaddress;
    assert.match(ip, /^10\.77\./);
    assert.equal(sshWith(ip, key, 'echo ok'), 'ok');

    serveHttp(ip, [80, 8080], { key });
    assert.equal(await canConnect(ip, 80), true);
    assert.equal(await canConnect(ip, 8080), false);
    await cs('authorizeSecurityGroupIngress', `securitygroupname=cs-e2e-${run}`, 'protocol=TCP', 'startport=8080', 'endport=8080');
    assert.equal(await canConnect(ip, 8080), true);

    await cs('createTags', 'resourcetype=UserVm', `resourceids=${vm.id}`, 'tags[0].key=owner', `tags[0].value=cs-${run}`);
    assert.equal((await cs('listTags', `resourceid=${vm.id}`)).tag[0].value, `cs-${run}`);
    const tagged = (await cs('listVirtualMachines', 'tags[0].key=owner', `tags[0].value=cs-${run}`)).virtualmachine;
    assert.deepEqual(tagged.map((v: { id: string }) => v.id), [vm.id]);
    await cs('deleteTags', 'resourcetype=UserVm', `resourceids=${vm.id}`, 'tags[0].key=owner');
    assert.deepEqual(await cs('listVirtualMachines', 'tags[0].key=owner', `tags[0].value=cs-${run}`), {});

    await cs('destroyVirtualMachine', `id=${vm.id}`, 'expunge=true');
    assert.deepEqual(await cs('listVirtualMachines', `id=${vm.id}`), {});
    assert.equal((await createLocal().listNodes(ep.localStack)).length, 0);
  });
});

/** Whether a UDP datagram to address:port gets an echo back within the timeout. */
function udpEcho(address: string, port: number, timeoutMs = 1500): Promise<boolean> {
  return new Promise((done) => {
    const socket = createSocket('udp4');
    const finish = (ok: boolean) => (clearTimeout(timer), socket.close(), done(ok));
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('message', (m) => finish(String(m) === 'ping'));
    socket.on('error', () => finish(false));
    socket.send('ping', port, address);
  });
}

/** Whether an ICMP echo request from this host gets a reply (a raw socket in python: the host has no ping). */
function pings(address: string): boolean {
  const script = `
import select, socket, struct, sys, time
def csum(b):
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff); s += s >> 16
    return ~s & 0xffff
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
head = struct.pack('!BBHHH', 8, 0, 0, 4242, 1) + b'forklift'
try:
    s.sendto(struct.pack('!BBHHH', 8, 0, csum(head), 4242, 1) + b'forklift', (sys.argv[1], 0))
except OSError:
    sys.exit(1)  # dropped on the way out (OUTPUT): EPERM
end = time.time() + 1.5
while time.time() < end:
    if not select.select([s], [], [], end - time.time())[0]: break
    data, (src, _) = s.recvfrom(2048)
    if src == sys.argv[1] and data[20] == 0: sys.exit(0)
sys.exit(1)
`;
  return spawnSync(PYTHON, ['-c', script, address]).status === 0;
}

describe('security group rules on a real node: CIDR, UDP, port ranges, ICMP', () => {
  test('the node accepts exactly what the rules allow', async () => {
    const c = ep.client;
    const group = `rules-${run}`;
    await c.call('createSecurityGroup', { name: group });
    const allow = (rule: Record<string, string>) => c.job('authorizeSecurityGroupIngress', { securitygroupname: group, ...rule });
    await allow({ protocol: 'TCP', startport: '8080', endport: '8080', cidrlist: '10.77.0.1/32' }); // the host's bridge address
    await allow({ protocol: 'TCP', startport: '8081', endport: '8081', cidrlist: '192.0.2.0/24' }); // not the host
    await allow({ protocol: 'TCP', startport: '9000', endport: '9002', cidrlist: '0.0.0.0/0' });
    await allow({ protocol: 'UDP', startport: '5353', endport: '5353', cidrlist: '10.77.0.0/16' });
    const [zone] = await c.list<{ id: string }>('listZones');
    const [template] = await c.list<{ id: string }>('listTemplates', { templatefilter: 'executable' });
    const [offering] = await c.list<{ id: string }>('listServiceOfferings');
    const vm = (await c.job<{ virtualmachine: { id: string; nic: Array<{ ipaddress: string }> } }>('deployVirtualMachine', {
      zoneid: zone!.id, templateid: template!.id, serviceofferingid: offering!.id, name: `rules-${run}`, securitygroupnames: group,
    })).virtualmachine;
    const ip = vm.nic[0]!.ipaddress;
    serveHttp(ip, [8080, 8081, 9000, 9001, 9002, 9003]);
    const udp = `for p in 5353 5354; do setsid nohup python3 -c "
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('0.0.0.0', int(sys.argv[1])))
while True:
    m, a = s.recvfrom(64); s.sendto(m, a)" $p >/dev/null 2>&1 </dev/null & done; sleep 0.5`;
    assert.equal(sshRun(ip, udp).code, 0);

    const reached = {
      'tcp 8080 from the host (rule: 10.77.0.1/32)': await canConnect(ip, 8080),
      'tcp 8081 from the host (rule: 192.0.2.0/24)': await canConnect(ip, 8081),
      'tcp 9000 (range 9000-9002)': await canConnect(ip, 9000),
      'tcp 9002 (range 9000-9002)': await canConnect(ip, 9002),
      'tcp 9003 (outside the range)': await canConnect(ip, 9003),
      'udp 5353 (rule)': await udpEcho(ip, 5353),
      'udp 5354 (no rule)': await udpEcho(ip, 5354),
      'icmp echo (no rule)': pings(ip),
    };
    assert.deepEqual(reached, {
      'tcp 8080 from the host (rule: 10.77.0.1/32)': true,
      'tcp 8081 from the host (rule: 192.0.2.0/24)': false,
      'tcp 9000 (range 9000-9002)': true,
      'tcp 9002 (range 9000-9002)': true,
      'tcp 9003 (outside the range)': false,
      'udp 5353 (rule)': true,
      'udp 5354 (no rule)': false,
      'icmp echo (no rule)': false,
    });
    await allow({ protocol: 'ICMP', icmptype: '8', icmpcode: '0', cidrlist: '10.77.0.1/32' });
    assert.equal(pings(ip), true, 'icmp echo once a rule allows it');
    const [rule] = (await c.list<{ ingressrule: Array<{ ruleid: string; startport: number }> }>('listSecurityGroups', { securitygroupname: group }))[0]!.ingressrule.filter((r) => r.startport === 9000);
    await c.job('revokeSecurityGroupIngress', { id: rule!.ruleid });
    assert.equal(await canConnect(ip, 9001), false, 'a revoked range closes');
    assert.equal(await canConnect(ip, 8080), true, 'the other rules stay');
    await c.job('destroyVirtualMachine', { id: vm.id, expunge: 'true' });
  });
});
