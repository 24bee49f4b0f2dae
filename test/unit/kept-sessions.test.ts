// Kept sessions through the seam, without nodes: frames cut anywhere, errors that cross the
// socket as the classes a direct connection throws, the pool's rule (a kept connection only
// for the pins it verified), the settings from the environment, and the fall-back to a
// direct connection when the daemon's folder is not this user's alone. On real nodes:
// test/e2e/kept-sessions.test.ts.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { CancelledError, ForkliftError, TransportError } from '../../src/errors.ts';
import { ConnectionLostError, DisconnectedError } from '../../src/transport/errors.ts';
import { daemonStatus, keptTransport, parseDuration, serve, sessionsPaths, sessionsSettings, stopDaemon } from '../../src/transport/kept/index.ts';
import { keptKey, pinsMatch, Pool } from '../../src/transport/kept/pool.ts';
import { encode, FRAME, FrameReader, fromWire, json, PROTOCOL, toWire } from '../../src/transport/kept/protocol.ts';
import type { SshConnection } from '../../src/transport/ssh.ts';
import type { SshEndpoint } from '../../src/transport/types.ts';

const dir = mkdtempSync(join(tmpdir(), 'fl-kept-unit-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function newKey(name: string): string {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', '', '-f', join(dir, name)]);
  return readFileSync(join(dir, `${name}.pub`), 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
}
const keyA = newKey('a');
const keyB = newKey('b');
const jumpKey = newKey('j');
const at = { node: 'web-1', host: '10.0.0.5', port: 22 };

describe('kept sessions: protocol', () => {
  test('frames arrive whole however the stream is cut', () => {
    const bytes = Buffer.concat([encode(FRAME.run, 7, { command: 'true', feed: false }), encode(FRAME.stdout, 7, Buffer.from([0, 1, 2, 255])), encode(FRAME.eof, 7)]);
    for (const cut of [1, 3, 9, 10, bytes.length - 1]) {
      const reader = new FrameReader();
      const frames = [...reader.push(bytes.subarray(0, cut)), ...reader.push(bytes.subarray(cut))];
      assert.deepEqual(frames.map((f) => [f.type, f.id]), [[FRAME.run, 7], [FRAME.stdout, 7], [FRAME.eof, 7]]);
      assert.deepEqual(json(frames[0]!), { command: 'true', feed: false });
      assert.deepEqual([...frames[1]!.payload], [0, 1, 2, 255]);
      assert.equal(frames[2]!.payload.length, 0);
    }
  });

  test('errors cross as the classes a direct connection throws, with the same text and details', () => {
    const disconnected = fromWire(toWire(new DisconnectedError(at, 'closed')), at);
    assert.ok(disconnected instanceof DisconnectedError && disconnected instanceof TransportError);
    assert.equal((disconnected as TransportError).code, 'DISCONNECTED');
    assert.equal(disconnected.message, new DisconnectedError(at, 'closed').message);

    const refusal = new TransportError('web-1', '10.0.0.5', 'host key changed: …', 'HOST_KEY', { port: 22 });
    const back = fromWire(toWire(refusal), at) as TransportError;
    assert.ok(back instanceof TransportError);
    assert.deepEqual([back.code, back.message, back.details], [refusal.code, refusal.message, refusal.details]);

    const lost = fromWire(toWire(new ConnectionLostError(at, Buffer.alloc(0), Buffer.alloc(0))), at, Buffer.from('out'), Buffer.from('err'));
    assert.ok(lost instanceof ConnectionLostError);
    assert.equal(lost.stdout.toString(), 'out');

    assert.ok(fromWire(toWire(new CancelledError()), at) instanceof CancelledError);
    const timeout = fromWire(toWire(new ForkliftError('node web-1: still running after 2000 ms; stopped it', 'TIMEOUT')), at) as ForkliftError;
    assert.deepEqual([timeout.code, timeout.message], ['TIMEOUT', 'node web-1: still running after 2000 ms; stopped it']);
  });
});

describe('kept sessions: the pool', () => {
  const endpoint = (hostKey?: string, jump?: SshEndpoint): SshEndpoint => ({ host: '10.0.0.5', port: 22, user: 'root', privateKey: 'KEY', ...(hostKey ? { hostKey } : {}), ...(jump ? { jump } : {}) });

  test('a connection matches the pins it verified, and only those', () => {
    assert.ok(pinsMatch(endpoint(), keyA, []), 'no pin: first contact takes the key');
    assert.ok(pinsMatch(endpoint(keyA), keyA, []));
    assert.ok(!pinsMatch(endpoint(keyB), keyA, []), 'another pin');
    assert.ok(!pinsMatch(endpoint('not a key'), keyA, []), 'a pin that is no key');
    const jump: SshEndpoint = { host: 'bastion', port: 22, user: 'ops', privateKey: 'KEY', hostKey: jumpKey };
    assert.ok(pinsMatch(endpoint(keyA, jump), keyA, [jumpKey]));
    assert.ok(!pinsMatch(endpoint(keyA, jump), keyA, [keyB]), "the jump host's pin counts too");
    assert.ok(!pinsMatch(endpoint(keyA, jump), keyA, []), 'a connection made without the jump host');
  });

  test('what a connection is: name, user, host, port, credentials, jumps, become, state folder; pins left out', () => {
    const base = endpoint(keyA);
    assert.equal(keptKey('web-1', base), keptKey('web-1', endpoint(keyB)));
    for (const other of [{ ...base, user: 'ops' }, { ...base, port: 2222 }, { ...base, privateKey: 'OTHER' }, { ...base, become: true }, { ...base, stateDir: '/srv/fl' }, { ...base, jump: endpoint() }]) {
      assert.notEqual(keptKey('web-1', base), keptKey('web-1', other));
    }
    assert.notEqual(keptKey('web-1', base), keptKey('web-2', base));
    assert.ok(!keptKey('web-1', base).includes('KEY'), 'the private key is not in the key');
  });

  test('reuses a live connection whose key is pinned; a different pin makes a new handshake; the old one closes when unused', async () => {
    const opened: Array<{ hostKey: string; closed: boolean; parked: number }> = [];
    let presented = keyA;
    const open = async (name: string) => {
      const c = { node: name, host: '10.0.0.5', port: 22, hostKey: presented, jumpHostKeys: [], alive: true, closed: false, parked: 0, park: async () => void c.parked++, close: () => ((c.closed = true), (c.alive = false)) };
      opened.push(c);
      return c as unknown as SshConnection;
    };
    const pool = new Pool(open);
    const first = await pool.acquire('web-1', endpoint(), 1000);
    assert.equal(first.reused, false);
    pool.release(first.kept);
    assert.equal(opened[0]!.parked, 1, 'its last user gone, the shell waiting on it is parked');
    const again = await pool.acquire('web-1', endpoint(keyA), 1000);
    assert.equal(again.reused, true);
    assert.equal(opened.length, 1);
    // The pin changed (the CLI now holds B): not this connection; a handshake with the CLI's pin decides.
    presented = keyB;
    const other = await pool.acquire('web-1', endpoint(keyB), 1000);
    assert.equal(other.reused, false);
    assert.equal(opened.length, 2);
    assert.equal(opened[0]!.closed, false, 'still in use by the run that holds it');
    pool.release(again.kept);
    assert.equal(opened[0]!.closed, true);
    pool.release(other.kept);
    await pool.sweep(0);
    assert.equal(opened[1]!.closed, true, 'unused past the idle time');
    assert.deepEqual(await pool.status(), []);
  });
});

describe('kept sessions: settings and fall-back', () => {
  test('on by default, off with FORKLIFT_SESSIONS=off and where CI is set; the idle time is a duration', () => {
    assert.equal(sessionsSettings({}).enabled, true);
    assert.equal(sessionsSettings({}).idleMs, 10 * 60_000);
    assert.equal(sessionsSettings({ FORKLIFT_SESSIONS: 'off' }).enabled, false);
    assert.equal(sessionsSettings({ CI: 'true' }).enabled, false);
    assert.equal(sessionsSettings({ CI: 'true', FORKLIFT_SESSIONS: 'on' }).enabled, true);
    assert.equal(sessionsSettings({ FORKLIFT_SESSIONS_IDLE: '90s' }).idleMs, 90_000);
    assert.deepEqual([parseDuration('10m'), parseDuration('1h'), parseDuration('30'), parseDuration('0.5s'), parseDuration('soon')], [600_000, 3_600_000, 30_000, undefined, undefined]);
    assert.throws(() => sessionsSettings({ FORKLIFT_SESSIONS: 'maybe' }), /FORKLIFT_SESSIONS must be on or off/);
    assert.throws(() => sessionsSettings({ FORKLIFT_SESSIONS_IDLE: 'soon' }), /FORKLIFT_SESSIONS_IDLE must be a duration/);
    assert.equal(sessionsPaths({ XDG_RUNTIME_DIR: '/run/user/1000' }).socket, '/run/user/1000/forklift/sessions.sock');
    assert.equal(sessionsPaths({ FORKLIFT_SESSIONS_DIR: '/x' }).pidFile, '/x/sessions.pid');
  });

  test('a folder others may enter is refused: the transport says why once and connects directly', async () => {
    const open = join(dir, 'open');
    mkdirSync(open);
    chmodSync(open, 0o755);
    const reasons: string[] = [];
    const transport = keptTransport({ paths: sessionsPaths({ FORKLIFT_SESSIONS_DIR: open }), idleMs: 60_000, onFallback: (r) => reasons.push(r) });
    // Directly to a port nobody listens on: the direct transport's own error.
    const target = { name: 'web-1', ssh: { host: '127.0.0.1', port: 1, user: 'root', privateKey: 'x' } };
    for (let i = 0; i < 2; i++) await assert.rejects(transport.connect(target, { timeoutMs: 300 }), (e: unknown) => e instanceof TransportError && e.details.node === 'web-1');
    assert.equal(reasons.length, 1);
    assert.match(reasons[0]!, /may be entered by other users \(mode 755\); it must be 0700/);
  });
});

describe('kept sessions: the daemon, in this process', () => {
  test('its socket is 0600 in a 0700 folder; it answers status, refuses another protocol, and stops when asked', async () => {
    const paths = sessionsPaths({ FORKLIFT_SESSIONS_DIR: join(dir, 'daemon') });
    const served = serve({ paths, idleMs: 60_000 });
    let status;
    for (let i = 0; i < 100 && !(status = await daemonStatus(paths).catch(() => undefined)); i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(status?.pid, process.pid);
    assert.equal(status?.protocol, PROTOCOL);
    assert.deepEqual(status?.connections, []);
    assert.equal(statSync(paths.dir).mode & 0o777, 0o700);
    assert.equal(statSync(paths.socket).mode & 0o777, 0o600);
    const reply = await new Promise<number>((resolve) => {
      const s = connect(paths.socket, () => s.write(encode(FRAME.open, 0, { protocol: PROTOCOL + 1, name: 'x', ssh: { host: '127.0.0.1', port: 1, user: 'root' }, timeoutMs: 100 })));
      const reader = new FrameReader();
      s.on('data', (d: Buffer) => {
        for (const f of reader.push(d)) (s.destroy(), resolve(f.type));
      });
    });
    assert.equal(reply, FRAME.mismatch);
    assert.equal(await stopDaemon(paths), true);
    await served;
    assert.equal(await daemonStatus(paths), undefined);
    assert.equal(await stopDaemon(paths), false);
  });
});
