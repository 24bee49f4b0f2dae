// A fault on one node never aborts the run or hangs it. One lift (configure, then deploy)
// over existing machines, each with a real fault: a machine that is down (lxc-stop), a port
// that accepts TCP but never speaks SSH, sshd's session killed mid-script and between the
// phases, a full disk (and a full /tmp), apt's lists lock held until forklift waits, dpkg's
// lock held for good. Each faulty node fails alone, bounded and by name; the others finish.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ExecResult, OperationResult } from '../../src/index.ts';
import { containerName, DEFAULT_LXC_PATH } from '../../src/providers/local/index.ts';
import type { NodeInfo } from '../../src/providers/types.ts';
import { BIN, stackDir, waitFor } from './helpers.ts';
import { localNodes, ssh, stackName, testStack } from './nodes.ts';

const ROLES = ['ok', 'down', 'dropmid', 'dropbetween', 'full', 'aptwait', 'aptstuck'] as const;
type Role = (typeof ROLES)[number];

/** Hold an apt/dpkg lock the way apt takes it (an fcntl lock; flock(1) would not hold it) until /root/release exists. */
const holdLock = (path: string) =>
  `setsid nohup python3 -c 'import fcntl, os, time
f = os.open("${path}", os.O_RDWR | os.O_CREAT, 0o640)
fcntl.lockf(f, fcntl.LOCK_EX)
open("/root/locked", "w").close()
while not os.path.exists("/root/release"): time.sleep(0.2)' >/dev/null 2>&1 </dev/null & while [ ! -e /root/locked ]; do sleep 0.1; done`;

/** Kill sshd's session processes on the node (the connections forklift holds), not the one running this. */
const KILL_SESSIONS = `for p in $(pgrep -f 'sshd: root@notty'); do [ "$p" = "$PPID" ] || kill -9 "$p"; done`;

describe('faults on single nodes', { concurrency: false, timeout: 10 * 60_000 }, () => {
  const machines = stackName('tfm');
  const knownHosts = join(mkdtempSync(join(tmpdir(), 'fl-faults-')), 'known_hosts');
  const mute = createServer((socket: Socket) => socket.on('error', () => {})); // accepts, never says a word
  const muted: Socket[] = [];
  mute.on('connection', (s) => muted.push(s));
  let node: Record<Role, NodeInfo>;
  let dir = '';

  before(async () => {
    await new Promise<void>((done) => mute.listen(0, '127.0.0.1', done));
    const made = await localNodes(machines, 'machines', [...ROLES]);
    node = Object.fromEntries(ROLES.map((r, i) => [r, made[i]!])) as Record<Role, NodeInfo>;
    const port = (mute.address() as { port: number }).port;
    const entries = [
      ...ROLES.map((r) => `{ host: '${node[r].address}', group: 'app', name: '${r}', privateKeyPath: '/var/lib/forklift/ssh/id_ed25519' }`),
      `{ host: '127.0.0.1', port: ${port}, group: 'app', name: 'mute', privateKeyPath: '/var/lib/forklift/ssh/id_ed25519' }`,
    ];
    dir = stackDir(`import { defineConfig, execChecked, file, groupSpec, packages, plan } from 'forklift';
const only = (name, item) => (ctx) => ctx.node.name === name && item;
export default defineConfig({
  stack: '${stackName('tfs')}',
  provider: { name: 'hosts', knownHosts: '${knownHosts}', hosts: [${entries.join(', ')}] },
  groups: [groupSpec('app', { phases: {
    configure: plan(
      only('dropmid', execChecked('hold', 'touch /root/started; sleep 60; touch /root/late')),
      only('full', file('/srv/full/data', { content: 'x'.repeat(200000) })),
      only('aptwait', packages('tree')),
      only('aptstuck', packages('tree')),
      file('/root/configured', { content: 'yes\\n' }),
    ),
    deploy: plan(file('/root/deployed', { content: 'yes\\n' })),
  } })],
});
`);
    // The faults that are in place before the run.
    const stop = spawnSync('lxc-stop', ['-P', DEFAULT_LXC_PATH, '-n', containerName(machines, 'down')], { encoding: 'utf8' });
    assert.equal(stop.status, 0, stop.stderr);
    const full = ssh(node.full, 'mkdir -p /srv/full && mount -t tmpfs -o size=64k tmpfs /srv/full && fallocate -l 64k /srv/full/fill && mount -t tmpfs -o size=16k tmpfs /tmp && fallocate -l 16k /tmp/fill');
    assert.equal(full.code, 0, full.stderr);
    // New local nodes start with package lists (the host's copy), so packages would not run apt-get update: drop them.
    assert.equal(ssh(node.aptwait, 'rm -f /var/lib/apt/lists/*_Packages').code, 0);
    assert.equal(ssh(node.aptwait, holdLock('/var/lib/apt/lists/lock')).code, 0);
    assert.equal(ssh(node.aptstuck, holdLock('/var/lib/dpkg/lock-frontend')).code, 0);
  });

  after(() => {
    for (const s of muted) s.destroy();
    mute.close();
  });

  it('one lift: every faulty node fails alone, bounded and by name; the others finish both phases', async () => {
    const child = spawn(process.execPath, [BIN, 'lift', '--json', '-q', '--phase', 'configure', '--phase', 'deploy'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number>((done) => child.on('close', (code) => done(code ?? 1)));

    await Promise.all([
      // sshd's session killed while the script runs.
      (async () => {
        await waitFor('dropmid to start its long action', () => (ssh(node.dropmid, 'test -e /root/started').code === 0 ? true : undefined), 60_000);
        ssh(node.dropmid, KILL_SESSIONS);
      })(),
      // ... and, on another node, once its configure script has ended, before deploy (aptstuck holds the barrier for 2 minutes).
      (async () => {
        // The script's capture folder goes when it ends (the shell that waits for deploy stays).
        const idle = 'test -e /root/configured && ! ls -d /tmp/forklift.* >/dev/null 2>&1';
        await waitFor('dropbetween to finish configure', () => (ssh(node.dropbetween, idle).code === 0 ? true : undefined), 60_000);
        ssh(node.dropbetween, KILL_SESSIONS);
      })(),
      // apt's lists lock is released once forklift waits for it (its retry pause is running).
      (async () => {
        await waitFor('forklift to wait for the apt lock', () => (ssh(node.aptwait, "pgrep -fx 'sleep 2' >/dev/null").code === 0 ? true : undefined), 60_000);
        ssh(node.aptwait, 'touch /root/release');
      })(),
    ]);
    const code = await exited;
    assert.equal(code, 1, stderr);
    const result = JSON.parse(stdout) as OperationResult;
    const by = new Map(result.nodes.map((n) => [n.name, n]));
    const summary = Object.fromEntries(result.nodes.map((n) => [n.name, n.ok ? 'ok' : n.error?.code]));
    console.error(`outcomes: ${JSON.stringify(summary)}\n${result.nodes.filter((n) => n.error).map((n) => n.error!.message).join('\n')}`);

    assert.deepEqual(summary, {
      aptstuck: 'ACTION', aptwait: 'ok', down: 'UNREACHABLE', dropbetween: 'ok', dropmid: 'CONNECTION_LOST', full: 'ACTION', mute: 'UNREACHABLE', ok: 'ok',
    });
    for (const name of ['ok', 'aptwait', 'dropbetween']) {
      assert.deepEqual(by.get(name)!.actions.map((a) => [a.phase, a.status]).at(-1), ['deploy', 'changed'], `${name} ran deploy`);
    }
    assert.match(by.get('down')!.error!.message, new RegExp(`^node down \\(${node.down.address}:22\\): could not connect: (no answer from ${node.down.address}:22 \\(the host is down or unreachable\\)|connect EHOSTUNREACH)`));
    assert.match(by.get('mute')!.error!.message, /^node mute \(127\.0\.0\.1:\d+\): could not connect: no SSH handshake/);
    assert.match(by.get('dropmid')!.error!.message, /^node dropmid \(.*:22\): connection lost during phase configure, in action "hold"; the script may have partly run$/);
    assert.deepEqual([by.get('full')!.error!.action, by.get('full')!.error!.phase], ['file /srv/full/data', 'configure']);
    assert.match(by.get('full')!.error!.stderrTail!, /No space left on device/);
    assert.match(by.get('aptstuck')!.error!.stderrTail!, /Could not get lock \/var\/lib\/dpkg\/lock-frontend. It is held by process \d+ \(python3\)[\s\S]*forklift: gave up waiting for apt's lock after 120 s$/);
    assert.equal(ssh(node.aptwait, 'dpkg-query -W -f=\'${Status}\' tree').stdout, 'install ok installed');

    // The script cut off with its connection did not run on: its node stopped it.
    await waitFor('the cut-off script to be stopped', () => (ssh(node.dropmid, 'pgrep -f "[s]leep 60" >/dev/null').code === 1 ? true : undefined));
    assert.notEqual(ssh(node.dropmid, 'test -e /root/late').code, 0, 'the cut-off script ran on');
    assert.equal(ssh(node.dropmid, 'ls /tmp | grep -c ^forklift').stdout.trim(), '0', 'the cut-off script left files in /tmp');
  });

  it('exec: the unreachable nodes fail by name, bounded; the others answer', async () => {
    const r = await new Promise<{ code: number; stdout: string }>((done) => {
      const child = spawn(process.execPath, [BIN, 'exec', '--json', 'app', '--', 'echo up'], { cwd: dir, stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.on('close', (code) => done({ code: code ?? 1, stdout: out }));
    });
    assert.equal(r.code, 1);
    const result = JSON.parse(r.stdout) as ExecResult;
    assert.deepEqual(
      Object.fromEntries(result.nodes.map((n) => [n.name, n.ok ? n.stdout : n.error?.code])),
      { aptstuck: 'up\n', aptwait: 'up\n', down: 'UNREACHABLE', dropbetween: 'up\n', dropmid: 'up\n', full: 'up\n', mute: 'UNREACHABLE', ok: 'up\n' },
    );
  });
});

describe('a stopped local node', { concurrency: false }, () => {
  const { stack, cli } = testStack('tfst', (name) => `import { defineConfig, file, groupSpec, plan } from 'forklift';
export default defineConfig({ stack: '${name}', groups: [groupSpec('web', { phases: { configure: plan((ctx) => file('/root/name', { content: ctx.node.name + '\\n' })) } })] });
`);

  it('is reported by lift and exec as not running, not left out; the others run', async () => {
    const made = await cli(['converge', '--json', '-q', 'web=2']);
    assert.equal(made.code, 0, made.stderr);
    const [stopped, running] = (JSON.parse(made.stdout) as OperationResult).nodes;
    const stop = spawnSync('lxc-stop', ['-P', DEFAULT_LXC_PATH, '-n', containerName(stack, stopped!.name)], { encoding: 'utf8' });
    assert.equal(stop.status, 0, stop.stderr);
    const lifted = await cli(['lift', '--json', '-q']);
    assert.equal(lifted.code, 1);
    const result = JSON.parse(lifted.stdout) as OperationResult;
    assert.deepEqual(result.nodes.map((n) => [n.name, n.ok, n.error?.message]).sort(), [
      [stopped!.name, false, `node ${stopped!.name}: not running (stopped); no phase ran on it`],
      [running!.name, true, undefined],
    ].sort());
    const exec = JSON.parse((await cli(['exec', '--json', 'web', '--', 'true'])).stdout) as ExecResult;
    assert.deepEqual(exec.nodes.map((n) => [n.name, n.ok, n.error?.code]).sort(), [[stopped!.name, false, 'NOT_RUNNING'], [running!.name, true, undefined]].sort());
  });
});
