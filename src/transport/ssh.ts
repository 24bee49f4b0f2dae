// SSH transport (ssh2): one connection per node, opened once and reused across phases.
// Commands and scripts go over stdin to a shell on the node (see remote.ts); no pty (a pty
// kills background processes). A node's host key is checked against its pin when it has
// one, and the key it presented is reported either way (Connection.hostKey).
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Client, ClientChannel, ServerHostKeyAlgorithm } from 'ssh2';
import { CancelledError, ForkliftError, TransportError } from '../errors.ts';
import { ConnectionLostError, DisconnectedError, type Endpoint } from './errors.ts';
import { blobType, describeKey, fingerprint, hostKeyAlgorithms, keyLine, parsePins, pinned, type Pin } from './hostkey.ts';
import { framed, killRunScript, remoteCommand } from './remote.ts';
import type { ConnectOptions, ConnectTarget, Connection, RunOptions, RunOutput, SshEndpoint, Transport } from './types.ts';

/** ssh2, loaded on the first connection (~50 ms that a command making none does not pay; require skips ESM's scan of a CommonJS module). */
let ssh2: typeof import('ssh2') | undefined;
const loadSsh2 = () => (ssh2 ??= createRequire(import.meta.url)('ssh2') as typeof import('ssh2'));

export const sshTransport: Transport = {
  name: 'ssh',
  connect: (target: ConnectTarget, options?: ConnectOptions) => SshConnection.open(target.name, target.ssh, options),
};

export class SshConnection implements Connection {
  /** Why the connection ended, once it has. */
  private ended: string | undefined;
  private readonly onEnd = new Set<() => void>();

  private constructor(
    private readonly client: Client,
    private readonly at: Endpoint,
    readonly hostKey: string,
  ) {
    const end = (why: string) => {
      this.ended ??= why;
      for (const f of this.onEnd) f();
    };
    client.on('error', (err: Error) => end(err.message));
    client.on('close', () => end('closed'));
  }

  get node(): string {
    return this.at.node;
  }

  get host(): string {
    return this.at.host;
  }

  /**
   * Connect, retrying refusals, unreachable hosts and silent ports until `timeoutMs`
   * (default 30 s) has passed. A wrong host key or a refused login is not retried.
   */
  static async open(node: string, endpoint: SshEndpoint, options: ConnectOptions = {}): Promise<SshConnection> {
    const timeoutMs = options.timeoutMs ?? 30_000;
    const deadline = Date.now() + timeoutMs;
    const at = { node, host: endpoint.host, port: endpoint.port };
    for (;;) {
      try {
        return await connectOnce(at, endpoint, deadline - Date.now(), options.signal);
      } catch (error) {
        if (!(error instanceof Unreachable)) throw error;
        if (Date.now() + 250 > deadline || options.signal?.aborted) {
          if (options.signal?.aborted) throw new CancelledError();
          throw new TransportError(node, endpoint.host, `could not connect within ${timeoutMs / 1000} s: ${error.message}`, 'UNREACHABLE', { port: endpoint.port });
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  /**
   * Run a command, feeding `stdin`; resolves with its exit code and all output. After
   * `timeoutMs` (or when `cancel` fires) the remote command and everything it started
   * are killed, then the run rejects (code TIMEOUT, or a CancelledError).
   */
  runScript(script: string, options: RunOptions = {}): Promise<RunOutput> {
    return this.run(script, options);
  }

  run(command: string, { stdin = '', signal: cancel, timeoutMs }: RunOptions = {}): Promise<RunOutput> {
    const timeout = timeoutMs ? AbortSignal.timeout(timeoutMs) : undefined;
    const signal = timeout && cancel ? AbortSignal.any([cancel, timeout]) : (timeout ?? cancel);
    const token = randomBytes(8).toString('hex');
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(new CancelledError());
      if (this.ended) return reject(new DisconnectedError(this.at, this.ended));
      const started = (err: Error | undefined, channel: ClientChannel) => {
        // The channel did not open: the command never started.
        if (err) return reject(new DisconnectedError(this.at, this.ended ?? err.message));
        const out: Buffer[] = [];
        const errOut: Buffer[] = [];
        let settled = false;
        const settle = (f: () => void) => {
          if (settled) return;
          settled = true;
          signal?.removeEventListener('abort', onAbort);
          this.onEnd.delete(onLost);
          f();
        };
        const onLost = () => settle(() => reject(new ConnectionLostError(this.at, Buffer.concat(out), Buffer.concat(errOut))));
        const onAbort = () => {
          const timedOut = timeout?.aborted && !cancel?.aborted;
          settled = true;
          this.onEnd.delete(onLost);
          void this.kill(token).then(() => {
            try {
              channel.close();
            } catch {
              // the connection is gone already
            }
            reject(timedOut ? new ForkliftError(`node ${this.at.node}: still running after ${timeoutMs} ms; stopped it`, 'TIMEOUT') : new CancelledError());
          });
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        this.onEnd.add(onLost);
        channel.on('data', (d: Buffer) => out.push(d));
        channel.stderr.on('data', (d: Buffer) => errOut.push(d));
        channel.on('close', (code: number | null, signalName?: string) => {
          if (this.ended) return onLost();
          settle(() => resolve({ exitCode: code ?? (signalName ? 128 : 255), stdout: Buffer.concat(out), stderr: Buffer.concat(errOut) }));
        });
        channel.end(framed(command, stdin));
      };
      try {
        this.client.exec(remoteCommand(token), started);
      } catch (error) {
        // ssh2 throws "Not connected" when the socket is already gone.
        reject(new DisconnectedError(this.at, this.ended ?? (error as Error).message));
      }
    });
  }

  /** Kill every process of the run that carries `token` (bounded to 5 s; best effort). */
  private kill(token: string): Promise<void> {
    return new Promise((done) => {
      const timer = setTimeout(done, 5000);
      const finish = () => {
        clearTimeout(timer);
        done();
      };
      try {
        this.client.exec(killRunScript(token), (err: Error | undefined, channel: ClientChannel) => {
          if (err) return finish();
          channel.on('close', finish);
          channel.resume();
          channel.stderr.resume();
        });
      } catch {
        finish();
      }
    });
  }

  close(): void {
    this.client.end();
  }
}

/** A connect attempt that may succeed later (refused, unreachable, no handshake). */
class Unreachable extends Error {}

function connectOnce(at: Endpoint, endpoint: SshEndpoint, timeoutMs: number, signal?: AbortSignal): Promise<SshConnection> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new CancelledError());
    const client = new (loadSsh2().Client)();
    const pins = endpoint.hostKey ? parsePins(endpoint.hostKey) : [];
    if (endpoint.hostKey && !pins.length) return reject(new TransportError(at.node, at.host, `the recorded host key is not a key: ${JSON.stringify(endpoint.hostKey.slice(0, 80))}`, 'HOST_KEY', { port: at.port }));
    let presented: Buffer | undefined;
    let refusal: TransportError | undefined;
    let done = false;
    const finish = (error?: Error) => {
      if (done) return;
      done = true;
      signal?.removeEventListener('abort', onAbort);
      if (!error) {
        // @ts-expect-error private constructor is ours to call
        return resolve(new SshConnection(client, at, keyLine(presented!)));
      }
      client.end();
      reject(error);
    };
    const onAbort = () => finish(new CancelledError());
    signal?.addEventListener('abort', onAbort, { once: true });
    let tcpOpen = false;
    client.on('connect', () => (tcpOpen = true));
    client.on('ready', () => finish());
    client.on('error', (err: Error & { level?: string }) => {
      if (refusal) return finish(refusal);
      if (err.level === 'client-authentication') return finish(new TransportError(at.node, at.host, `SSH authentication as ${endpoint.user} failed`, 'AUTH', { port: at.port }));
      if (err.message !== 'Timed out while waiting for handshake') return finish(new Unreachable(err.message));
      finish(new Unreachable(tcpOpen ? 'no SSH handshake (the port accepts connections but does not speak SSH)' : `no answer from ${at.host}:${at.port} (the host is down or unreachable)`));
    });
    // A socket that closes before the handshake ends emits no error.
    client.on('close', () => finish(refusal ?? new Unreachable('the connection was closed before the SSH handshake ended')));
    client.connect({
      host: endpoint.host,
      port: endpoint.port,
      username: endpoint.user,
      privateKey: endpoint.privateKey,
      readyTimeout: Math.max(1000, Math.min(timeoutMs, 20_000)),
      keepaliveInterval: 15_000,
      keepaliveCountMax: 4,
      algorithms: { serverHostKey: hostKeyAlgorithms(pins) as ServerHostKeyAlgorithm[] },
      hostVerifier: (key: Buffer) => {
        presented = Buffer.from(key);
        if (!pins.length || pinned(pins, key)) return true;
        refusal = hostKeyChanged(at, endpoint, pins, key);
        return false;
      },
    });
  });
}

function hostKeyChanged(at: Endpoint, endpoint: SshEndpoint, pins: readonly Pin[], key: Buffer): TransportError {
  const recorded = pins.map((p) => describeKey(p.fingerprint, p.type)).join(', ');
  const where = endpoint.hostKeySource ? ` in ${endpoint.hostKeySource}` : '';
  return new TransportError(
    at.node,
    at.host,
    `host key changed: the node offers ${describeKey(fingerprint(key), blobType(key))}, recorded${where} is ${recorded}; refusing to connect ` +
      `(if the node was rebuilt on purpose, remove the old key${where ? ' there' : ''})`,
    'HOST_KEY',
    { port: at.port },
  );
}
