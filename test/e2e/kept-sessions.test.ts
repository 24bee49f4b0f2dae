// Kept sessions on real local nodes: the CLI's SSH connections are held by a per-user daemon
// (started on demand, its socket 0600 in a 0700 folder), so a second run logs in to no node
// again (counted by the nodes' sshd, not by forklift); a node whose host key changed is
// refused by name with both fingerprints through the daemon; Ctrl-C, --timeout and a CLI
// killed mid-run still stop the script on the node; a file from the repo streams through
// it byte-exact; with FORKLIFT_SESSIONS=off nothing is kept; an idle daemon exits by itself. The daemon of this file lives in a folder of its own and is stopped by
// its pid when the file ends.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { OperationResult } from '../../src/index.ts';
import { BIN, forklift, stackDir, waitFor } from './helpers.ts';
import { localNodes, ssh, stackName } from './nodes.ts';

const home = mkdtempSync(join(tmpdir(), 'fl-kept-'));
const sessionsDir = join(home, 'run');
const knownHosts = join(home, 'known_hosts');
const machines = stackName('tkpm');
let dir = '';
const cli = (args: string[], extra: NodeJS.ProcessEnv) => forklift(args, dir, extra);
const env = (extra: NodeJS.ProcessEnv = {}) => ({ FORKLIFT_SESSIONS: 'on', FORKLIFT_SESSIONS_DIR: sessionsDir, FORKLIFT_SESSIONS_IDLE: '10m', ...extra });
const kept = (args: string[], extra?: NodeJS.ProcessEnv) => cli(args, env(extra));

/** The daemon's pid from its pid file, or undefined when none runs. */
function daemonPid(): number | undefined {
  try {
    const pid = Number(readFileSync(join(sessionsDir, 'sessions.pid'), 'utf8').trim());
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

const started = new Set<number>();
after(async () => {
  for (const pid of [...started, daemonPid()]) {
    if (pid === undefined) continue;
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // gone already
    }
  }
  await waitFor('the daemon to exit', () => (daemonPid() === undefined ? true : undefined));
  rmSync(home, { recursive: true, force: true });
});

/**
 * Logins sshd accepts on a node from now on, as its journal says (one per SSH connection),
 * leaving out the test's own: each ssh here prints its client port ($SSH_CLIENT), and each
 * reading waits until sshd's line for its own login is in, so every earlier one is too.
 */
async function sshdLogins(node: Node): Promise<() => Promise<number>> {
  const mine = new Set<string>();
  const accepted = () =>
    waitFor(`sshd's journal on ${node.name}`, () => {
      const r = ssh(node, `echo "$SSH_CLIENT"; journalctl -u ssh -o cat --no-pager | grep '^Accepted publickey for root '`);
      const port = r.stdout.split('\n')[0]!.split(' ')[1]!;
      mine.add(port);
      const ports = [...r.stdout.matchAll(/^Accepted publickey for root from \S+ port (\d+)/gm)].map((m) => m[1]!);
      return ports.includes(port) ? ports : undefined;
    });
  const before = new Set(await accepted());
  return async () => (await accepted()).filter((p) => !before.has(p) && !mine.has(p)).length;
}

// A file from the repo streamed through the daemon (need records out, the bytes back in), NULs included.
const BLOB = randomBytes(3 * 1024 * 1024).fill(0, 1000, 5000);

const running = (n: Node) => ssh(n, 'pgrep -x -f "sleep 60" >/dev/null').code === 0;

interface Node {
  name: string;
  address: string;
}
let nodes: Node[] = [];

async function lift(args: string[] = [], extra?: NodeJS.ProcessEnv): Promise<OperationResult> {
  const run = await kept(['lift', '--json', '-q', ...args], extra);
  assert.equal(run.code, 0, run.stderr + run.stdout);
  return JSON.parse(run.stdout) as OperationResult;
}

describe('kept sessions', { concurrency: false, timeout: 10 * 60_000 }, () => {
  before(async () => {
    const hosts = await localNodes(machines, 'machines', ['k1', 'k2']);
    nodes = hosts.map((h, i) => ({ name: `app-${i + 1}`, address: h.address }));
    // The hosts provider: host keys pinned in a known_hosts file, as an operator's machines are.
    dir = stackDir(`import { defineConfig, execChecked, file, groupSpec, plan } from 'forklift';
export default defineConfig({
  stack: '${stackName('tkps')}',
  provider: { name: 'hosts', knownHosts: '${knownHosts}', hosts: [
    ${nodes.map((n) => `{ host: '${n.address}', group: 'app', name: '${n.name}', privateKeyPath: '/var/lib/forklift/ssh/id_ed25519' }`).join(',\n    ')},
  ] },
  groups: [groupSpec('app', { phases: {
    configure: plan((ctx) => file('/root/configured', { content: ctx.node.name + '\\n' }), file('/root/blob.bin', { source: new URL('./blob.bin', import.meta.url) })),
    slow: plan(execChecked('sleep', 'sleep 60; touch /root/late')),
    quick: plan(file('/root/quick', { content: 'q\\n' })),
  } })],
});
`);
    writeFileSync(join(dir, 'blob.bin'), BLOB);
    await lift();
    const pid = daemonPid();
    assert.ok(pid, 'the CLI started a daemon');
    started.add(pid);
  });

  it('keeps its socket 0600 in a 0700 folder, and lists its connections', async () => {
    assert.equal(statSync(sessionsDir).mode & 0o777, 0o700);
    assert.equal(statSync(join(sessionsDir, 'sessions.sock')).mode & 0o777, 0o600);
    const status = await kept(['sessions', '--json']);
    assert.equal(status.code, 0, status.stderr);
    const s = JSON.parse(status.stdout) as { pid: number; connections: Array<{ node: string; users: number }> };
    assert.equal(s.pid, daemonPid());
    assert.deepEqual(s.connections.map((c) => [c.node, c.users]).sort(), nodes.map((n) => [n.name, 0]).sort());
  });

  it('streams a file from the repo through the daemon, byte-exact', () => {
    const sha = createHash('sha256').update(BLOB).digest('hex');
    for (const n of nodes) assert.equal(ssh(n, 'sha256sum /root/blob.bin').stdout.split(' ')[0], sha);
  });

  it('a second run logs in to no node again; with FORKLIFT_SESSIONS=off it does', async () => {
    ssh(nodes[0]!, 'rm -f /root/configured');
    const logins = await Promise.all(nodes.map((n) => sshdLogins(n)));
    const again = await lift();
    assert.ok(again.ok);
    assert.equal(again.changed, 1);
    for (const count of logins) assert.equal(await count(), 0, `the lift made a new SSH connection; the daemon's log:\n${readFileSync(join(sessionsDir, 'sessions.log'), 'utf8')}`);
    assert.equal(ssh(nodes[0]!, 'cat /root/configured').stdout, `${nodes[0]!.name}\n`);
    const direct = await Promise.all(nodes.map((n) => sshdLogins(n)));
    await lift([], { FORKLIFT_SESSIONS: 'off' });
    for (const count of direct) assert.equal(await count(), 1, 'a direct lift makes one connection per node');
  });

  it('a repeated run reuses the shell the last one left waiting on each node (no exec); while it waits, its watchdog is stopped', async () => {
    // A phase with no file streamed from the repo leaves the node's shell waiting for the next command.
    assert.ok((await lift(['--phase', 'quick'])).ok);
    // Parked once the CLI is gone: one shell waits (its watchdog, a subshell of the same command
    // line, has ended within its 1 s poll), with no live child.
    const parked = (n: Node) => {
      const pid = ssh(n, "pgrep -f '^sh -c [f]l_ssh=' || true").stdout.trim();
      return /^\d+$/.test(pid) && ssh(n, `ps -o stat= --ppid ${pid} | grep -v '^Z' || true`).stdout.trim() === '' ? pid : undefined;
    };
    const first: string[] = [];
    for (const n of nodes) first.push(await waitFor(`one parked shell waiting on ${n.name}`, () => parked(n)));
    const again = await lift(['--phase', 'quick']);
    assert.deepEqual([again.ok, again.changed], [true, 0]);
    for (const [i, n] of nodes.entries()) assert.equal(await waitFor(`the shell on ${n.name} parked again`, () => parked(n)), first[i], 'the second run started another shell');
  });

  it('Ctrl-C stops the script on the node and exits 130; the daemon stays', async () => {
    const pid = daemonPid();
    const child = spawn(process.execPath, [BIN, 'lift', '--phase', 'slow'], { cwd: dir, env: { ...process.env, ...env() }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const closed = new Promise<number | null>((done) => child.on('close', done));
    await waitFor('the slow script to run on every node', () => (nodes.every(running) ? true : undefined), 60_000);
    child.kill('SIGINT');
    assert.equal(await closed, 130, stderr);
    for (const n of nodes) await waitFor(`the script to leave ${n.name}`, () => (running(n) ? undefined : true));
    for (const n of nodes) assert.notEqual(ssh(n, 'test -e /root/late').code, 0);
    assert.equal(daemonPid(), pid, 'the daemon outlives the CLI');
  });

  it('a CLI killed mid-run (kill -9) has its script stopped on the node by the daemon', async () => {
    const child = spawn(process.execPath, [BIN, 'lift', '-q', '--phase', 'slow'], { cwd: dir, env: { ...process.env, ...env() }, stdio: 'ignore' });
    const closed = new Promise((done) => child.on('close', done));
    await waitFor('the slow script to run on every node', () => (nodes.every(running) ? true : undefined), 60_000);
    child.kill('SIGKILL');
    await closed;
    for (const n of nodes) await waitFor(`the script to leave ${n.name}`, () => (running(n) ? undefined : true));
    for (const n of nodes) assert.notEqual(ssh(n, 'test -e /root/late').code, 0);
  });

  it('--timeout stops the script on the node and fails the node by name', async () => {
    const run = await kept(['lift', '--json', '-q', '--phase', 'slow', '--timeout', '2']);
    assert.equal(run.code, 1, run.stderr);
    const result = JSON.parse(run.stdout) as OperationResult;
    for (const n of result.nodes) assert.match(n.error?.message ?? '', new RegExp(`^node ${n.name}: phase slow still running after 2 s; stopped it$`));
    for (const n of nodes) await waitFor(`the script to leave ${n.name}`, () => (running(n) ? undefined : true));
    for (const n of nodes) assert.notEqual(ssh(n, 'test -e /root/late').code, 0);
  });

  it('a node whose host key changed is refused through the daemon, by name with both fingerprints', async () => {
    const pid = daemonPid();
    const [changed, other] = nodes as [Node, Node];
    const fp = () => ssh(changed, 'ssh-keygen -l -E sha256 -f /etc/ssh/ssh_host_ed25519_key.pub | cut -d" " -f2').stdout.trim();
    const old = fp();
    // A rebuilt machine: new keys, sshd restarted, and the old connections gone with the old machine.
    const keys = '/etc/ssh/ssh_host_ed25519_key /etc/ssh/ssh_host_ecdsa_key';
    const regenerate = `for k in ${keys}; do rm -f $k $k.pub; done && ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key && ssh-keygen -q -t ecdsa -N '' -f /etc/ssh/ssh_host_ecdsa_key`;
    const r = ssh(changed, `${regenerate} && systemctl restart ssh && for p in $(pgrep -f '^sshd: root@notty'); do [ "$p" = "$PPID" ] || kill "$p"; done`);
    assert.equal(r.code, 0, r.stderr);
    const now = fp();
    assert.notEqual(now, old);
    const run = await kept(['lift', '--json', '-q']);
    assert.equal(run.code, 1, 'a changed host key was accepted');
    const result = JSON.parse(run.stdout) as OperationResult;
    const refused = result.nodes.find((n) => n.name === changed.name)!;
    assert.equal(refused.error?.code, 'HOST_KEY');
    const line = readFileSync(knownHosts, 'utf8').trim().split('\n').findIndex((l) => l.startsWith(`${changed.address} `)) + 1;
    assert.equal(
      refused.error!.message,
      `node ${changed.name} (${changed.address}:22): host key changed: the node offers ${now} (ssh-ed25519), recorded in ${knownHosts}:${line} is ${old} (ssh-ed25519); refusing to connect (if the node was rebuilt on purpose, remove the old key there)`,
    );
    assert.equal(result.nodes.find((n) => n.name === other.name)?.ok, true);
    assert.equal(daemonPid(), pid, 'refused by the same daemon');
  });

  it('an idle daemon closes its sessions and exits; the next run starts another', async () => {
    const pid = daemonPid()!;
    await kept(['sessions', 'stop']);
    await waitFor('the daemon to stop', () => (daemonPid() === undefined ? true : undefined));
    const run = await kept(['lift', '--json', '-q', '--limit', nodes[1]!.name], { FORKLIFT_SESSIONS_IDLE: '2s' });
    assert.equal(run.code, 0, run.stderr);
    const next = daemonPid();
    assert.ok(next && next !== pid, 'a new daemon');
    started.add(next);
    await waitFor('the idle daemon to exit', () => (daemonPid() === undefined ? true : undefined), 60_000);
    assert.match(readFileSync(join(sessionsDir, 'sessions.log'), 'utf8'), /stopping: idle for 2 s/);
    const status = await kept(['sessions']);
    assert.equal(status.stdout, 'kept sessions: no daemon is running\n');
  });
});
