// The local provider through its own API: images, parallel creates, host keys, tags,
// inbound ports as a security group, cloud-init, destroy.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { chainName, createProvider, DEFAULT_LXC_PATH } from '../../src/providers/local/index.ts';
import { TAG, type NodeInfo } from '../../src/providers/types.ts';
import { canConnect } from './helpers.ts';
import { serveHttp, ssh as sshRun, stackName } from './nodes.ts';

const stack = stackName('tlp');
const provider = createProvider({}, { log: (m) => console.error(m) });
const tmp = mkdtempSync(join(tmpdir(), 'fl-lp-'));

/** A command that must succeed on the node; its stdout. */
function ssh(node: NodeInfo, command: string, knownHosts?: string): string {
  const r = sshRun(node, command, knownHosts ? { knownHosts } : {});
  assert.equal(r.code, 0, `ssh ${command}: ${r.stderr}`);
  return r.stdout;
}

const req = (name: string, nodeSpec = {}) => ({ stack, group: name, name, nodeSpec, tags: { role: name } });

describe('local provider', () => {
  let web: NodeInfo;
  let plain: NodeInfo;

  test('an image that does not exist is refused with what exists, before creating anything', async () => {
    await assert.rejects(
      provider.createNode(req('nope', { image: { osFamily: 'ubuntu', osVersionMatches: '12.04' } })),
      /no image matches osFamily=ubuntu osVersionMatches=12\.04; available: debian 12 \(debian-12\)/,
    );
    await assert.rejects(provider.createNode(req('big', { userData: 'x'.repeat(33 * 1024) })), /32 KiB/);
    assert.deepEqual(await provider.listNodes(stack), []);
  });

  test('nodes are created in parallel and answer SSH with forklift key and their pinned host key', async () => {
    [web, plain] = await Promise.all([
      provider.createNode(req('web', {
        network: { inboundPorts: [80] },
        userData: { write_files: [{ path: '/root/from-user-data', content: 'hello\n' }] },
      })),
      provider.createNode(req('plain')),
    ]);
    assert.equal(web.state, 'running');
    assert.match(web.ssh.hostKey ?? '', /^ssh-ed25519 \S+$/);
    const knownHosts = join(tmp, 'known_hosts');
    writeFileSync(knownHosts, `${web.address} ${web.ssh.hostKey}\n${plain.address} ${plain.ssh.hostKey}\n`);
    assert.equal(ssh(web, 'hostname', knownHosts).trim(), web.id);
    assert.equal(ssh(plain, 'id -un', knownHosts).trim(), 'root');
    assert.notEqual(web.address, plain.address);
  });

  test('listNodes reads the nodes and their tags back, from any provider instance', async () => {
    await provider.tagNode(web, { [TAG.bootstrapped]: 'true' });
    const fresh = createProvider({});
    const nodes = await fresh.listNodes(stack);
    assert.deepEqual(nodes.map((n) => n.name), ['plain', 'web']);
    const w = nodes.find((n) => n.name === 'web')!;
    assert.equal(w.tags.role, 'web');
    assert.equal(w.tags[TAG.stack], stack);
    assert.equal(w.tags[TAG.group], 'web');
    assert.equal(w.tags[TAG.bootstrapped], 'true');
    assert.equal(w.tags[TAG.image], 'debian-12');
    assert.deepEqual(w.os, { family: 'debian', version: '12' });
    assert.equal(w.state, 'running');
    assert.equal(w.ssh.hostKey, web.ssh.hostKey);
    assert.deepEqual(await fresh.listNodes(`${stack}-other`), []);
  });

  test('inbound ports act as a security group', async () => {
    serveHttp(web, [80, 8080]);
    assert.equal(await canConnect(web.address, 22), true, 'ssh port');
    assert.equal(await canConnect(web.address, 80), true, 'listed port 80');
    assert.equal(await canConnect(web.address, 8080), false, 'unlisted port 8080');
    // node to node: plain → web is filtered the same way
    assert.equal(ssh(plain, `curl -s -o /dev/null -w '%{http_code}' ${web.address}:80`), '200');
    assert.notEqual(sshRun(plain, `curl -s -m 3 ${web.address}:8080`).code, 0);
    await provider.setInboundPorts(web, [80, 8080]);
    assert.equal(await canConnect(web.address, 8080), true, 'port 8080 after opening it');
    assert.equal((await provider.listNodes(stack)).find((n) => n.name === 'web')!.tags['forklift-ports'], '80,8080');
  });

  test('user data runs through cloud-init; nodes without it have cloud-init disabled', () => {
    ssh(web, 'cloud-init status --wait >/dev/null');
    assert.equal(ssh(web, 'cat /root/from-user-data'), 'hello\n');
    assert.match(ssh(plain, 'cloud-init status || true'), /disabled/);
  });

  test('destroy leaves no container, chain or process, and is idempotent', async () => {
    await provider.destroyNode(web);
    await provider.destroyNode(web);
    const lxcLs = execFileSync('lxc-ls', ['-P', DEFAULT_LXC_PATH, '-1'], { encoding: 'utf8' });
    assert.ok(!lxcLs.split('\n').includes(web.id), 'container listed');
    assert.ok(!execFileSync('iptables', ['-w', '-S'], { encoding: 'utf8' }).includes(chainName(web.id)), 'chain left');
    const ps = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
    assert.ok(!ps.split('\n').some((line) => line.includes(` ${web.id}`)), 'process left');
    assert.deepEqual((await provider.listNodes(stack)).map((n) => n.name), ['plain']);
    await provider.destroyNode(plain);
    assert.deepEqual(await provider.listNodes(stack), []);
  });
});
