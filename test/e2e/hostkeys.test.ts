// Host keys pinned on every provider: the key a node presents on first contact is recorded
// (hosts: in forklift's known_hosts file; cloudstack: a tag on the VM); when one node's key
// changes (regenerated on the node, sshd restarted), lift, exec and ssh refuse that node by
// name with both fingerprints, and the others run. A CloudStack key pair registered from
// another machine is never replaced.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import type { ExecResult, OperationResult } from '../../src/index.ts';
import { TAG, type NodeInfo } from '../../src/providers/types.ts';
import { testEndpoint } from './endpoint.ts';
import { forklift, stackDir } from './helpers.ts';
import { localNodes, ssh, stackName, testStack, type SshOptions } from './nodes.ts';

const configure = `configure: plan((ctx) => file('/root/configured', { content: ctx.node.name + '\\n' }))`;

/** The node's ed25519 host key line and its SHA256 fingerprint, read on the node. */
function nodeKey(address: string, options: SshOptions = {}): { key: string; fp: string } {
  const r = ssh(address, 'cut -d" " -f1,2 /etc/ssh/ssh_host_ed25519_key.pub; ssh-keygen -l -E sha256 -f /etc/ssh/ssh_host_ed25519_key.pub | cut -d" " -f2', options);
  assert.equal(r.code, 0, r.stderr);
  const [key = '', fp = ''] = r.stdout.trim().split('\n');
  return { key, fp };
}

/** A new host key on the node, as a rebuilt machine (or an impostor) would have; sshd restarted. */
function changeHostKey(address: string, options: SshOptions = {}): void {
  const keys = '/etc/ssh/ssh_host_ed25519_key /etc/ssh/ssh_host_ecdsa_key';
  const r = ssh(address, `for k in ${keys}; do rm -f $k $k.pub; done && ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key && ssh-keygen -q -t ecdsa -N '' -f /etc/ssh/ssh_host_ecdsa_key && systemctl restart ssh`, options);
  assert.equal(r.code, 0, r.stderr);
}

const refusal = (name: string, address: string, offered: string, recorded: string, where: string) =>
  `node ${name} (${address}:22): host key changed: the node offers ${offered} (ssh-ed25519), recorded in ${where} is ${recorded} (ssh-ed25519); refusing to connect (if the node was rebuilt on purpose, remove the old key there)`;

describe('hosts: keys from known_hosts, recorded on first contact', { concurrency: false }, () => {
  const knownHosts = join(mkdtempSync(join(tmpdir(), 'fl-hk-')), 'known_hosts');
  const machines = stackName('thkm');
  let hosts: NodeInfo[] = [];
  let dir = '';
  const cli = (...args: string[]) => forklift(args, dir);

  before(async () => {
    hosts = await localNodes(machines, 'machines', ['k1', 'k2']);
    dir = stackDir(`import { defineConfig, file, groupSpec, plan } from 'forklift';
export default defineConfig({
  stack: '${stackName('thks')}',
  provider: { name: 'hosts', knownHosts: '${knownHosts}', hosts: [
    ${hosts.map((h, i) => `{ host: '${h.address}', group: 'app', name: 'app-${i + 1}', privateKeyPath: '/var/lib/forklift/ssh/id_ed25519' }`).join(',\n    ')},
  ] },
  groups: [groupSpec('app', { phases: { ${configure} } })],
});
`);
  });

  it('records each host’s key on first contact, exactly the key the host has', async () => {
    const run = await cli('lift', '--json', '-q');
    assert.equal(run.code, 0, run.stderr + run.stdout);
    const lines = readFileSync(knownHosts, 'utf8').trim().split('\n').sort();
    assert.deepEqual(lines, hosts.map((h) => `${h.address} ${nodeKey(h.address).key}`).sort());
  });

  it('a changed key refuses that host by name with both fingerprints in lift, exec and ssh; the other runs', async () => {
    const [changed, kept] = hosts as [NodeInfo, NodeInfo];
    const old = nodeKey(changed.address).fp;
    changeHostKey(changed.address);
    const now = nodeKey(changed.address).fp;
    assert.notEqual(now, old);
    ssh(kept.address, 'rm -f /root/configured');

    const lifted = await cli('lift', '--json', '-q');
    assert.equal(lifted.code, 1, 'a changed host key was accepted');
    const result = JSON.parse(lifted.stdout) as OperationResult;
    assert.deepEqual(result.nodes.map((n) => [n.name, n.ok, n.error?.code]), [['app-1', false, 'HOST_KEY'], ['app-2', true, undefined]]);
    const line = readFileSync(knownHosts, 'utf8').trim().split('\n').findIndex((l) => l.startsWith(`${changed.address} `)) + 1;
    const message = refusal('app-1', changed.address, now, old, `${knownHosts}:${line}`);
    assert.equal(result.nodes[0]!.error!.message, message);
    assert.equal(ssh(kept.address, 'cat /root/configured').stdout, 'app-2\n', 'the other host ran');

    const exec = await cli('exec', '--json', 'app', '--', 'hostname');
    assert.equal(exec.code, 1);
    const execResult = JSON.parse(exec.stdout) as ExecResult;
    assert.deepEqual(execResult.nodes.map((n) => [n.name, n.ok, n.error?.code]), [['app-1', false, 'HOST_KEY'], ['app-2', true, undefined]]);
    assert.equal(execResult.nodes[0]!.error!.message, message);

    const shell = await cli('ssh', 'app-1', '--', 'echo reached');
    assert.equal(shell.code, 1);
    assert.equal(shell.stderr, `forklift: ${message}\n`);
    assert.doesNotMatch(shell.stdout, /reached/);
    const other = await cli('ssh', 'app-2', '--', 'echo reached');
    assert.equal(other.stdout, 'reached\n', other.stderr);
    // The pin was not replaced by the new key.
    assert.equal(readFileSync(knownHosts, 'utf8').split('\n').filter((l) => l.startsWith(`${changed.address} `)).length, 1);
  });
});

describe('cloudstack: the key is a tag on the VM, written at bootstrap', { concurrency: false }, () => {
  const ep = testEndpoint('thkc');
  const source = (keyDir: string) => (name: string) => `import { defineConfig, file, groupSpec, plan } from 'forklift';
export default defineConfig({ stack: '${name}', provider: { name: 'cloudstack', keyDir: ${JSON.stringify(keyDir)}, backoffMs: 50 },
  groups: [groupSpec('app', { phases: { ${configure} } })] });
`;
  const { stack, cli: run } = testStack('thkcs', source(ep.keyDir));
  const cli = (...args: string[]) => run(args, ep.env());
  const key = () => ({ key: join(ep.keyDir, stack) });
  let nodes: OperationResult['nodes'] = [];

  before(async () => {
    await ep.open();
    const r = await cli('converge', '--json', '-q', 'app=2');
    assert.equal(r.code, 0, r.stderr + r.stdout);
    nodes = (JSON.parse(r.stdout) as OperationResult).nodes;
  });

  it('each VM is tagged with the host key its node presented', async () => {
    const vms = await ep.client.list<{ id: string; tags: Array<{ key: string; value: string }> }>('listVirtualMachines');
    for (const n of nodes) {
      const tag = vms.find((v) => v.id === n.id)!.tags.find((t) => t.key === TAG.hostKey)?.value;
      assert.equal(tag, nodeKey(n.address, key()).key, `${n.name}'s tag`);
    }
  });

  it('a changed key refuses that VM by name with both fingerprints in lift, exec and ssh; the other runs', async () => {
    const [changed, kept] = nodes as [OperationResult['nodes'][0], OperationResult['nodes'][0]];
    const old = nodeKey(changed.address, key()).fp;
    changeHostKey(changed.address, key());
    const message = refusal(changed.name, changed.address, nodeKey(changed.address, key()).fp, old, `tag ${TAG.hostKey} of VM ${changed.name} (${changed.id})`);
    const lifted = await cli('lift', '--json', '-q');
    assert.equal(lifted.code, 1);
    const result = JSON.parse(lifted.stdout) as OperationResult;
    assert.deepEqual(result.nodes.map((n) => [n.name, n.ok]), [[changed.name, false], [kept.name, true]].sort());
    assert.equal(result.nodes.find((n) => n.name === changed.name)!.error!.message, message);
    const exec = JSON.parse((await cli('exec', '--json', 'app', '--', 'true')).stdout) as ExecResult;
    assert.equal(exec.nodes.find((n) => n.name === changed.name)!.error!.message, message);
    assert.equal(exec.nodes.find((n) => n.name === kept.name)!.ok, true);
    const shell = await cli('ssh', changed.name, '--', 'echo reached');
    assert.equal(shell.code, 1);
    assert.equal(shell.stderr, `forklift: ${message}\n`);
  });

  it('a key pair registered from another machine is never replaced: converge there is refused, naming both keys', async () => {
    const [pair] = await ep.client.list<{ name: string; fingerprint: string }>('listSSHKeyPairs', { name: `forklift-${stack}` });
    assert.ok(pair);
    const elsewhere = join(mkdtempSync(join(tmpdir(), 'fl-other-machine-')), 'keys');
    const dir = stackDir(source(elsewhere)(stack));
    const r = await forklift(['converge', '--json', '-q', 'app=3'], dir, ep.env());
    assert.equal(r.code, 1);
    const result = JSON.parse(r.stdout) as OperationResult;
    assert.equal(result.errors.length, 1, r.stdout);
    assert.match(
      result.errors[0]!.message,
      new RegExp(`could not be created: cloudstack: key pair forklift-${stack} on the cloud holds another key \\(MD5 ${pair.fingerprint}\\) than this machine's ${elsewhere}/${stack} \\(MD5 [0-9a-f:]{47}\\); it was registered from another machine`),
    );
    assert.deepEqual(await ep.client.list('listSSHKeyPairs', { name: `forklift-${stack}` }), [{ ...pair }], 'the key pair was replaced');
  });
});
