// The CloudStack-compatible endpoint driven by a client no one here wrote: Debian's
// python3-cs (`python3 -m cs`), as its users run it. Needs root and LXC; installs
// python3-cs with apt-get when it is missing.
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { before, describe, test } from 'node:test';
import { createProvider as createLocal } from '../../src/providers/local/index.ts';
import { testEndpoint } from './endpoint.ts';
import { canConnect, ensureDebianPackage } from './helpers.ts';
import { serveHttp, ssh as sshRun } from './nodes.ts';

const run = `${process.pid}`;
const ep = testEndpoint('tcse');
const PYTHON = '/usr/bin/python3';
const execFileAsync = promisify(execFile);

before(() => ep.open());

/** Run the python cs client (asynchronously: the endpoint answers from this same process). */
async function csRun(secret: string, args: string[]): Promise<{ code: number; out: string; err: string }> {
  const env = { ...process.env, CLOUDSTACK_ENDPOINT: ep.url, CLOUDSTACK_KEY: ep.apiKey, CLOUDSTACK_SECRET: secret, CLOUDSTACK_POLL_INTERVAL: '0.3' };
  try {
    const { stdout, stderr } = await execFileAsync(PYTHON, ['-m', 'cs', ...args], { env, encoding: 'utf8', timeout: 120_000 });
    return { code: 0, out: stdout, err: stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, out: e.stdout ?? '', err: e.stderr ?? '' };
  }
}

// The answers are whatever CloudStack returns: JSON objects read field by field below.
async function cs(...args: string[]): Promise<any> {
  const { code, out, err } = await csRun(ep.secretKey, args);
  if (code !== 0 || err.includes('CloudStack error')) throw new Error(`cs ${args.join(' ')} failed (${code}): ${err}${out}`);
  return out.trim() ? JSON.parse(out) : {}; // cs prints nothing for an empty answer ({})
}

/** A command that must succeed on a VM, with the key cs registered. */
function ssh(host: string, keyFile: string, command: string): string {
  const r = sshRun(host, command, { key: keyFile });
  assert.equal(r.code, 0, `ssh ${command}: ${r.stderr}`);
  return r.stdout;
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
    const key = join(ep.tmp, 'cs_key');
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
