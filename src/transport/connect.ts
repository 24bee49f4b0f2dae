// One SSH handshake with a node: its host key checked against the pin, login with a key
// file and/or ssh-agent's keys, and, for a node behind jump hosts (OpenSSH's ProxyJump),
// over a TCP channel the jump host's connection opens to it (direct-tcpip). A jump host's
// connection is shared by every node behind it while one of them is connected: 500 nodes
// behind one bastion make one login there, not 500 at once (which sshd's MaxStartups
// would mostly drop). Failures are reasons, not yet tied to a node: ssh.ts names the node.
import { createHash } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { createRequire } from 'node:module';
import type { Client, ServerHostKeyAlgorithm } from 'ssh2';
import { CancelledError } from '../errors.ts';
import { blobType, describeKey, fingerprint, hostKeyAlgorithms, keyLine, parsePins, pinned, type Pin } from './hostkey.ts';
import type { SshEndpoint } from './types.ts';

/** ssh2, loaded on the first connection (~50 ms that a command making none does not pay; require skips ESM's scan of a CommonJS module). */
let ssh2: typeof import('ssh2') | undefined;
const loadSsh2 = () => (ssh2 ??= createRequire(import.meta.url)('ssh2') as typeof import('ssh2'));

/** Whether `text` is a private key ssh2 can log in with as it is (not encrypted). */
export const isUsablePrivateKey = (text: string): boolean => !(loadSsh2().utils.parseKey(text) instanceof Error);

/** A connect attempt that may succeed later (refused, unreachable, no handshake). */
export class Unreachable extends Error {}

/** A connect attempt refused for good (a wrong host key, a refused login): not retried. */
export class Refused extends Error {
  constructor(
    message: string,
    readonly code: 'HOST_KEY' | 'AUTH',
  ) {
    super(message);
  }
}

export interface Handshake {
  client: Client;
  /** The key the node presented ("type base64"). */
  hostKey: string;
  /** The keys its jump hosts presented, outermost first. */
  jumpHostKeys: string[];
  /** Let go of the jump host's connection (closed when no node uses it any more). */
  release(): void;
}

const hostPort = (e: Pick<SshEndpoint, 'host' | 'port'>) => `${e.host}:${e.port}`;

/**
 * Connect and log in; rejects with Unreachable (retry), Refused or CancelledError. Behind a
 * jump host, a node that does not answer yet is retried over the same jump connection
 * until `timeoutMs` has passed, rather than logging in to the jump host again each time.
 */
export async function handshake(endpoint: SshEndpoint, timeoutMs: number, signal?: AbortSignal): Promise<Handshake> {
  if (!endpoint.jump) return { ...(await login(endpoint, timeoutMs, signal)), jumpHostKeys: [], release: () => undefined };
  const deadline = Date.now() + timeoutMs;
  const jump = await sharedJump(endpoint.jump, timeoutMs, signal);
  try {
    for (;;) {
      try {
        const sock = await forward(jump, endpoint, signal);
        const own = await login(endpoint, Math.max(1000, deadline - Date.now()), signal, sock);
        let released = false;
        const release = () => {
          if (!released) jump.release();
          released = true;
        };
        own.client.once('close', release);
        return { ...own, jumpHostKeys: [...jump.jumpHostKeys, jump.hostKey], release };
      } catch (error) {
        if (!(error instanceof Unreachable) || jump.gone() || signal?.aborted || Date.now() + 250 > deadline) throw error;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  } catch (error) {
    jump.release();
    throw error;
  }
}

/** A TCP channel from the jump host to the node. */
function forward(jump: Handshake, to: SshEndpoint, signal?: AbortSignal): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new CancelledError());
    try {
      jump.client.forwardOut('127.0.0.1', 0, to.host, to.port, (err, stream) => {
        if (!err) return resolve(stream);
        // 1: administratively prohibited (AllowTcpForwarding no); 2: connect failed (refused, unreachable).
        const reason = (err as Error & { reason?: number }).reason;
        if (reason === 1) return reject(new Refused(`the jump host does not forward connections to ${hostPort(to)} (sshd's AllowTcpForwarding, or a PermitOpen that leaves it out)`, 'AUTH'));
        reject(new Unreachable(`the jump host could not open a connection to ${hostPort(to)}: ${err.message.replace(/^\(SSH\) Channel open failure: ?/, '') || 'refused'}`));
      });
    } catch (error) {
      reject(new Unreachable(`the jump host's connection is gone (${(error as Error).message})`));
    }
  });
}

interface Shared extends Handshake {
  users: number;
  closed: boolean;
}

interface Lease extends Handshake {
  /** The jump host's connection has ended. */
  gone(): boolean;
}

/** Jump host connections by endpoint (address, user, credentials, pin, its own jumps). */
const jumps = new Map<string, Promise<Shared>>();

function poolKey(e: SshEndpoint): string {
  const secret = createHash('sha256').update(`${e.privateKey ?? ''}\0${e.agent ?? ''}`).digest('hex');
  return JSON.stringify([e.user, e.host, e.port, e.hostKey ?? '', secret, e.jump ? poolKey(e.jump) : '']);
}

async function sharedJump(jump: SshEndpoint, timeoutMs: number, signal?: AbortSignal): Promise<Lease> {
  const key = poolKey(jump);
  let entry = jumps.get(key);
  if (!entry) {
    const opening: Promise<Shared> = handshake(jump, timeoutMs, signal).then(
      (h) => {
        const shared: Shared = { ...h, users: 0, closed: false };
        const forget = () => {
          shared.closed = true;
          if (jumps.get(key) === opening) jumps.delete(key);
        };
        h.client.once('close', forget);
        h.client.once('error', forget);
        return shared;
      },
      (error: unknown) => {
        if (jumps.get(key) === opening) jumps.delete(key);
        throw error instanceof Refused || error instanceof Unreachable ? via(jump, error) : error;
      },
    );
    jumps.set(key, opening);
    entry = opening;
  }
  const shared = await entry;
  shared.users++;
  return {
    ...shared,
    gone: () => shared.closed,
    release: () => {
      if (--shared.users > 0) return;
      if (jumps.get(key) === entry) jumps.delete(key);
      shared.client.end();
      shared.release();
    },
  };
}

/** A jump host's failure, as the node behind it sees it. */
function via(jump: SshEndpoint, error: Refused | Unreachable): Error {
  const message = `jump host ${jump.user}@${hostPort(jump)}: ${error.message}`;
  return error instanceof Refused ? new Refused(message, error.code) : new Unreachable(message);
}

function login(endpoint: SshEndpoint, timeoutMs: number, signal?: AbortSignal, sock?: Duplex): Promise<Omit<Handshake, 'jumpHostKeys' | 'release'>> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new CancelledError());
    const client = new (loadSsh2().Client)();
    const pins = endpoint.hostKey ? parsePins(endpoint.hostKey) : [];
    if (endpoint.hostKey && !pins.length) return reject(new Refused(`the recorded host key is not a key: ${JSON.stringify(endpoint.hostKey.slice(0, 80))}`, 'HOST_KEY'));
    let presented: Buffer | undefined;
    let refusal: Refused | undefined;
    let done = false;
    const finish = (error?: Error) => {
      if (done) return;
      done = true;
      signal?.removeEventListener('abort', onAbort);
      if (!error) return resolve({ client, hostKey: keyLine(presented!) });
      client.end();
      sock?.destroy();
      reject(error);
    };
    const onAbort = () => finish(new CancelledError());
    signal?.addEventListener('abort', onAbort, { once: true });
    let tcpOpen = false;
    client.on('connect', () => (tcpOpen = true));
    client.on('ready', () => finish());
    client.on('error', (err: Error & { level?: string }) => {
      if (refusal) return finish(refusal);
      if (err.level === 'client-authentication') return finish(new Refused(`SSH authentication as ${endpoint.user} failed (${offered(endpoint)})`, 'AUTH'));
      if (err.message !== 'Timed out while waiting for handshake') return finish(new Unreachable(err.message));
      finish(new Unreachable(tcpOpen ? 'no SSH handshake (the port accepts connections but does not speak SSH)' : `no answer from ${hostPort(endpoint)} (the host is down or unreachable)`));
    });
    // A socket that closes before the handshake ends emits no error.
    client.on('close', () => finish(refusal ?? new Unreachable('the connection was closed before the SSH handshake ended')));
    try {
      client.connect({
        host: endpoint.host,
        port: endpoint.port,
        username: endpoint.user,
        ...(endpoint.privateKey ? { privateKey: endpoint.privateKey } : {}),
        ...(endpoint.agent ? { agent: endpoint.agent } : {}),
        ...(sock ? { sock } : {}),
        readyTimeout: Math.max(1000, Math.min(timeoutMs, 20_000)),
        keepaliveInterval: 15_000,
        keepaliveCountMax: 4,
        algorithms: { serverHostKey: hostKeyAlgorithms(pins) as ServerHostKeyAlgorithm[] },
        hostVerifier: (key: Buffer) => {
          presented = Buffer.from(key);
          if (!pins.length || pinned(pins, key)) return true;
          refusal = hostKeyChanged(endpoint, pins, key);
          return false;
        },
      });
    } catch (error) {
      // ssh2 throws on a private key it cannot parse.
      finish(new Refused(`cannot log in as ${endpoint.user}: ${(error as Error).message}`, 'AUTH'));
    }
  });
}

/** What the login offered, for a refusal: never the key itself. */
function offered(e: SshEndpoint): string {
  const what = [e.privateKey ? 'the private key' : '', e.agent ? `the keys of ssh-agent at ${e.agent}` : ''].filter(Boolean);
  return `offered ${what.join(' and ') || 'no key'}`;
}

function hostKeyChanged(endpoint: SshEndpoint, pins: readonly Pin[], key: Buffer): Refused {
  const recorded = pins.map((p) => describeKey(p.fingerprint, p.type)).join(', ');
  const where = endpoint.hostKeySource ? ` in ${endpoint.hostKeySource}` : '';
  return new Refused(
    `host key changed: the node offers ${describeKey(fingerprint(key), blobType(key))}, recorded${where} is ${recorded}; refusing to connect ` +
      `(if the node was rebuilt on purpose, remove the old key${where ? ' there' : ''})`,
    'HOST_KEY',
  );
}
