// Existing machines as operators reach them: a normal user who becomes root with `sudo -n`
// (a sudo that wants a password fails that node at once, by name), through a bastion
// whose sshd is the only way in (the target accepts the user only from the bastion's
// address), the bastion's host key pinned like any host's, and keys from an ssh-agent the
// test starts. The machines are local nodes made outside the stack.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ExecResult, OperationResult } from '../../src/index.ts';
import type { NodeInfo } from '../../src/providers/types.ts';
import { addLogins, reconfigureSshd, sshdLog, testKey } from './accounts.ts';
import { forklift, stackDir, waitFor } from './helpers.ts';
import { localNodes, ssh, stackName } from './nodes.ts';

const tmp = mkdtempSync(join(tmpdir(), 'fl-access-'));
const knownHosts = join(tmp, 'known_hosts');
const { key, pub } = testKey(tmp);
let bastion: NodeInfo;
let target: NodeInfo;
let agentPid: number | undefined;

/** A stack of the two machines: app-1 behind the bastion as deploy, app-2 the bastion itself as asker (sudo wants a password). */
function stack(options: { jump?: boolean; keyFile?: boolean } = {}): string {
  const { jump = true, keyFile = true } = options;
  const keyPath = keyFile ? `, privateKeyPath: '${key}'` : '';
  return stackDir(`import { defineConfig, file, groupSpec, plan } from 'forklift';
export default defineConfig({
  stack: '${stackName('tacc')}',
  provider: { name: 'hosts', knownHosts: '${knownHosts}', hosts: [
    { host: '${target.address}', group: 'app', name: 'app-1', user: 'deploy'${keyPath}${jump ? `, jump: 'deploy@${bastion.address}'` : ''} },
    { host: '${bastion.address}', group: 'app', name: 'app-2', user: 'asker'${keyPath} },
  ] },
  groups: [groupSpec('app', { phases: { configure: plan((ctx) => file('/root/configured', { content: ctx.node.name + '\\n' })) } })],
});
`);
}

describe('hosts: a normal user with sudo, through a bastion, keys from ssh-agent', { concurrency: false }, () => {
  let dir = '';
  before(async () => {
    [bastion, target] = (await localNodes(stackName('tacm'), 'machines', ['bastion', 'target'], { network: { inboundPorts: [22] } })) as [NodeInfo, NodeInfo];
    addLogins(bastion, pub, [{ name: 'deploy', sudo: 'nopasswd' }, { name: 'asker', sudo: 'password' }]);
    addLogins(target, pub, [{ name: 'deploy', sudo: 'nopasswd' }]);
    // The target lets deploy in from the bastion only (root stays open for the test itself).
    await reconfigureSshd(target, `echo 'AllowUsers root deploy@${bastion.address}' > /etc/ssh/sshd_config.d/bastion-only.conf`);
    dir = stack();
  });
  after(() => {
    if (agentPid) process.kill(agentPid);
  });

  it('lift reaches the target through the bastion as deploy and becomes root; a sudo that wants a password fails that node at once, by name', async () => {
    const log = sshdLog(target);
    const run = await forklift(['lift', '--json', '-q'], dir);
    assert.equal(run.code, 1, run.stderr + run.stdout);
    const result = JSON.parse(run.stdout) as OperationResult;
    const [app1, app2] = result.nodes;
    assert.deepEqual(app1!.actions.map((a) => `${a.name} ${a.status}`), ['file /root/configured changed']);
    assert.deepEqual([app2!.name, app2!.error?.code, app2!.actions.length], ['app-2', 'SUDO', 0]);
    assert.equal(app2!.error!.message, `node app-2 (${bastion.address}:22): sudo needs a password for asker; allow NOPASSWD for asker or log in as root`);
    // Written by root on the target; deploy logged in once, from the bastion.
    assert.equal(ssh(target, 'stat -c %U /root/configured && cat /root/configured').stdout, 'root\napp-1\n');
    assert.deepEqual(log.logins('deploy'), [bastion.address]);
    assert.equal(ssh(bastion, 'test -e /root/configured || echo absent').stdout, 'absent\n');
    // Both machines' keys were recorded: the target's and the bastion's (as a jump host).
    assert.deepEqual(readFileSync(knownHosts, 'utf8').trim().split('\n').map((l) => l.split(' ')[0]).sort(), [bastion.address, target.address].sort());
  });

  it('without the jump, the target refuses deploy: the bastion is what reached it', async () => {
    const run = await forklift(['exec', '--json', '--limit', 'app-1', 'app', '--', 'true'], stack({ jump: false }));
    assert.equal(run.code, 1);
    const result = JSON.parse(run.stdout) as ExecResult;
    assert.deepEqual(result.nodes.map((n) => [n.name, n.error?.code]), [['app-1', 'AUTH']]);
  });

  it('exec runs as root and ssh as deploy, both through the bastion; a command stopped by its timeout leaves nothing running', async () => {
    const exec = await forklift(['exec', '--limit', 'app-1', 'app', '--', 'id -un'], dir);
    assert.deepEqual([exec.code, exec.stdout], [0, 'app-1 | root\n'], exec.stderr);
    const shell = await forklift(['ssh', 'app-1', '--', 'id -un; echo $SSH_CONNECTION'], dir);
    assert.equal(shell.code, 0, shell.stderr);
    const [user, from] = shell.stdout.split('\n');
    assert.equal(user, 'deploy');
    assert.equal(from!.split(' ')[0], bastion.address);
    const stopped = await forklift(['exec', '--json', '--timeout', '1', '--limit', 'app-1', 'app', '--', 'sleep 321'], dir);
    assert.equal((JSON.parse(stopped.stdout) as ExecResult).nodes[0]!.error?.code, 'TIMEOUT');
    await waitFor('the stopped command to be gone', () => (ssh(target, 'pgrep -f "^sleep 321$" || echo gone').stdout === 'gone\n' ? true : undefined));
  });

  it('keys from ssh-agent when no key file is named; with neither, one line says what to do', async () => {
    const socket = join(tmp, 'agent.sock');
    const started = spawnSync('ssh-agent', ['-a', socket], { encoding: 'utf8' });
    agentPid = Number(/SSH_AGENT_PID=(\d+)/.exec(started.stdout)?.[1]);
    assert.ok(agentPid, started.stdout + started.stderr);
    assert.equal(spawnSync('ssh-add', ['-q', key], { env: { ...process.env, SSH_AUTH_SOCK: socket } }).status, 0);
    // A home with no key files: only the agent holds the key.
    const home = join(tmp, 'home');
    mkdirSync(home, { recursive: true });
    const agentDir = stack({ keyFile: false });
    const run = await forklift(['exec', '--limit', 'app-1', 'app', '--', 'id -un'], agentDir, { HOME: home, SSH_AUTH_SOCK: socket });
    assert.deepEqual([run.code, run.stdout], [0, 'app-1 | root\n'], run.stderr);
    const none = await forklift(['exec', '--limit', 'app-1', 'app', '--', 'id -un'], agentDir, { HOME: home, SSH_AUTH_SOCK: '' });
    assert.equal(none.code, 1);
    assert.equal(
      none.stderr,
      'forklift: hosts: host app-1: no key to log in with: no ssh-agent ($SSH_AUTH_SOCK is not set) and none of ~/.ssh/id_ed25519, id_ecdsa, id_rsa is there unencrypted; set privateKeyPath, or add the key to ssh-agent\n',
    );
  });

  it('the bastion’s host key is pinned: when it changes, the node behind it is refused, naming the jump host and both fingerprints', async () => {
    const fp = () => ssh(bastion, 'ssh-keygen -l -E sha256 -f /etc/ssh/ssh_host_ed25519_key.pub | cut -d" " -f2').stdout.trim();
    const old = fp();
    const keys = '/etc/ssh/ssh_host_ed25519_key /etc/ssh/ssh_host_ecdsa_key';
    await reconfigureSshd(bastion, `for k in ${keys}; do rm -f $k $k.pub; done && ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key && ssh-keygen -q -t ecdsa -N '' -f /etc/ssh/ssh_host_ecdsa_key`);
    const now = fp();
    assert.notEqual(now, old);
    ssh(target, 'rm -f /root/configured');
    const run = await forklift(['lift', '--json', '-q', '--limit', 'app-1'], dir);
    assert.equal(run.code, 1, run.stdout);
    const error = (JSON.parse(run.stdout) as OperationResult).nodes[0]!.error!;
    assert.equal(error.code, 'HOST_KEY');
    assert.match(error.message, new RegExp(`^node app-1 \\(${target.address}:22\\): jump host deploy@${bastion.address}:22: host key changed: the node offers ${now.replace(/[+/]/g, '\\$&')} \\(ssh-ed25519\\), recorded in ${knownHosts}:\\d+ is ${old.replace(/[+/]/g, '\\$&')} \\(ssh-ed25519\\)`));
    assert.equal(ssh(target, 'test -e /root/configured || echo absent').stdout, 'absent\n', 'the node behind a changed bastion was configured');
  });
});
