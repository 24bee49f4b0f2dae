// The CloudStack endpoint on real local nodes: a client no one here wrote (Debian's python3-cs,
// `python3 -m cs`) and forklift's cloudstack provider both drive it. Needs root and LXC; installs
// Debian's python3-cs with apt-get when it is missing.
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CloudStackClient, createProvider, startEndpoint, type Endpoint, type Faults } from '../../src/providers/cloudstack/index.ts';
import { createProvider as createLocal, containerName, DEFAULT_LXC_PATH } from '../../src/providers/local/index.ts';
import { TAG, type NodeInfo, type Provider } from '../../src/providers/types.ts';
import { canConnect, ensureDebianPackage } from './helpers.ts';

const run = `${process.pid}`;
const localStack = `t-csep-${run}`;
const stack = `t-cs-${run}`;
const tmp = mkdtempSync(join(tmpdir(), 'fl-cs-'));
const dataFile = join(tmp, 'endpoint.json');
const apiKey = `key-${run}`;
const secretKey = `secret-${run}-+/=`;
const PYTHON = '/usr/bin/python3';
const execFileAsync = promisify(execFile);
const log = (m: string) => console.error(m);

let endpoint: Endpoint;
let client: CloudStackClient;
const open = async (faults: Faults = {}) => {
  endpoint = await startEndpoint({ port: 0, dataFile, apiKey, secretKey, faults, localStack, log });
  client = new CloudStackClient({ endpoint: endpoint.url, apiKey, secretKey, pollMs: 50 });
};
const provider = (): Provider => createProvider({ endpoint: endpoint.url, apiKey, secretKey, keyDir: join(tmp, 'keys'), log, backoffMs: 50 });

before(() => open());
after(async () => {
  // Every VM through the endpoint, then every local node of the endpoint's stack by name.
  const vms = await client.list<{ id: string }>('listVirtualMachines').catch(() => []);
  for (const vm of vms) await client.job('destroyVirtualMachine', { id: vm.id, expunge: 'true' }).catch(() => {});
  await endpoint.close();
  const local = createLocal();
  for (const node of await local.listNodes(localStack)) {
    await local.destroyNode(node).catch(() => {});
    spawnSync('lxc-destroy', ['-P', DEFAULT_LXC_PATH, '-n', containerName(localStack, node.name), '-f']);
  }
  rmSync(tmp, { recursive: true, force: true });
});

/** Run the python cs client (asynchronously: the endpoint answers from this same process). */
async function csRun(secret: string, args: string[]): Promise<{ code: number; out: string; err: string }> {
  const env = { ...process.env, CLOUDSTACK_ENDPOINT: endpoint.url, CLOUDSTACK_KEY: apiKey, CLOUDSTACK_SECRET: secret, CLOUDSTACK_POLL_INTERVAL: '0.3' };
  try {
    const { stdout, stderr } = await execFileAsync(PYTHON, ['-m', 'cs', ...args], { env, encoding: 'utf8', timeout: 120_000 });
    return { code: 0, out: stdout, err: stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, out: e.stdout ?? '', err: e.stderr ?? '' };
  }
}

async function cs(...args: string[]): Promise<any> {
  const { code, out, err } = await csRun(secretKey, args);
  if (code !== 0 || err.includes('CloudStack error')) throw new Error(`cs ${args.join(' ')} failed (${code}): ${err}${out}`);
  return out.trim() ? JSON.parse(out) : {}; // cs prints nothing for an empty answer ({})
}

function ssh(host: string, keyFile: string, command: string): string {
  return execFileSync('ssh', ['-i', keyFile, '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5', '-o', 'LogLevel=ERROR',
    '-o', 'UserKnownHostsFile=/dev/null', '-o', 'StrictHostKeyChecking=no', `root@${host}`, command], { encoding: 'utf8', timeout: 60_000 });
}

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
    const denied = await csRun('wrong', ['listZones']);
    assert.match(denied.err, /HTTP 401 response from CloudStack/);
    assert.equal(JSON.parse(denied.out).listzonesresponse.errorcode, 401);
  });

  test('cs deploys a VM with a key pair and a security group; the node answers SSH and the rules are enforced; tags; destroy', async () => {
    const key = join(tmp, 'cs_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    const pub = execFileSync('cat', [`${key}.pub`], { encoding: 'utf8' }).trim();
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
    assert.equal(ssh(ip, key, 'echo ok').trim(), 'ok');

    ssh(ip, key, 'for p in 80 8080; do setsid nohup python3 -m http.server $p >/dev/null 2>&1 </dev/null & done; sleep 1');
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
    assert.equal((await createLocal().listNodes(localStack)).length, 0);
  });
});

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
    const release = await a.lockStack!('lk', 'forklift converge (pid 1, since t)');
    await assert.rejects(
      b.lockStack!('lk', 'forklift lift (pid 2, since t)'),
      /^ProviderError: cloudstack: stack lk is locked by forklift converge \(pid 1, since t\) \[[0-9a-f]{8}\]; wait for it to finish, or, if that run died, run forklift unlock$/,
    );
    await release();
    await b.lockStack!('lk', 'forklift lift (pid 2, since t)');
    // b dies without releasing: its lock stays until someone breaks it
    assert.match((await a.breakLock!('lk')) ?? '', /^forklift lift \(pid 2, since t\) \[[0-9a-f]{8}\]$/);
    assert.equal(await a.breakLock!('lk'), undefined);
    const groups = await client.list<{ name: string }>('listSecurityGroups');
    assert.ok(!groups.some((g) => g.name.startsWith('forklift.lock.')), 'no lock group is left');
  });

  test('a spec the cloud cannot meet is refused with what it offers, before anything is created', async () => {
    const p = provider();
    await assert.rejects(p.validate!('web', { image: { osFamily: 'ubuntu', osVersionMatches: '12.04' } }), /no template matches ubuntu.*Debian 12/);
    await assert.rejects(
      p.createNode({ stack, group: 'web', name: 'web-big', nodeSpec: { userData: 'x'.repeat(30_000) }, tags: {} }),
      /user data is 40000 bytes in base64/,
    );
    assert.deepEqual(await client.list('listVirtualMachines', { name: 'web-big' }), []);
  });

  test('createNode returns a tagged node that answers SSH with the stack key, user data applied', async () => {
    node = await provider().createNode({ stack, group: 'web', name: 'web-1', nodeSpec: spec, tags: { role: 'web' } });
    assert.equal(node.state, 'running');
    assert.equal(node.tags[TAG.stack], stack);
    assert.equal(node.tags[TAG.group], 'web');
    assert.equal(node.tags[TAG.image], 'debian-12');
    assert.equal(node.tags.role, 'web');
    const keyFile = join(tmp, 'keys', stack);
    assert.equal(node.ssh.privateKey, execFileSync('cat', [keyFile], { encoding: 'utf8' }));
    assert.equal(ssh(node.address, keyFile, 'cloud-init status --wait >/dev/null; cat /root/from-user-data').trim(), 'hello');
    const sg = await client.list<{ ingressrule: Array<{ startport: number }> }>('listSecurityGroups', { securitygroupname: `forklift-${stack}-web` });
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
    const [zone] = await client.list<{ id: string }>('listZones');
    const [template] = await client.list<{ id: string }>('listTemplates', { templatefilter: 'executable' });
    const [offering] = await client.list<{ id: string }>('listServiceOfferings');
    const orphan = await client.job<{ virtualmachine: { id: string } }>('deployVirtualMachine', {
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
    await endpoint.close();
    await open({ rateLimitEvery: 5, capacityFailures: 1, jobDelayMs: 300, failDeployJobs: 1, dropEvery: 13 });
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
    const all = await client.list<{ id: string; displayname: string }>('listVirtualMachines');
    assert.deepEqual(all.filter((v) => v.displayname.startsWith(`${stack}/`)).map((v) => v.id).sort(), nodes.map((n) => n.id).sort());
    assert.equal((await createLocal().listNodes(localStack)).length, all.length);
    for (const n of nodes) await p.destroyNode(n);
    assert.deepEqual(await p.listNodes(stack), []);
  });
});
