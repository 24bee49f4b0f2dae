// SSH transport (ssh2): one connection per node, opened once and reused across phases.
// Scripts go over stdin to a shell on the node; no pty (a pty kills background processes).
import { randomBytes } from 'node:crypto';
import { Client, type ClientChannel } from 'ssh2';
import { CancelledError, ForkliftError, TransportError } from '../errors.ts';
import { RUN_FROM_STDIN } from '../shell/script.ts';
import { quote } from '../shell/sh.ts';
import type { ConnectOptions, ConnectTarget, Connection, RunOptions, RunOutput, SshEndpoint, Transport } from './types.ts';

export const sshTransport: Transport = {
  name: 'ssh',
  connect: (target: ConnectTarget, options?: ConnectOptions) => SshConnection.open(target.name, target.ssh, options),
};

export class SshConnection implements Connection {
  private constructor(
    private readonly client: Client,
    readonly node: string,
    readonly host: string,
  ) {}

  static async open(node: string, endpoint: SshEndpoint, options: ConnectOptions = {}): Promise<SshConnection> {
    const deadline = Date.now() + (options.timeoutMs ?? 30_000);
    for (;;) {
      try {
        return await connectOnce(node, endpoint, deadline - Date.now(), options.signal);
      } catch (error) {
        const retryable = error instanceof TransportError && /ECONNREFUSED|ECONNRESET|EHOSTUNREACH|Timed out while waiting for handshake/.test(error.message);
        if (!retryable || Date.now() + 250 > deadline || options.signal?.aborted) throw error;
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
    return this.run(RUN_FROM_STDIN, { ...options, stdin: script });
  }

  run(command: string, { stdin = '', signal: cancel, timeoutMs }: RunOptions = {}): Promise<RunOutput> {
    const timeout = timeoutMs ? AbortSignal.timeout(timeoutMs) : undefined;
    const signal = timeout && cancel ? AbortSignal.any([cancel, timeout]) : (timeout ?? cancel);
    // Closing a channel without a pty leaves its command running (and sshd ignores
    // signal requests here), so every run carries a token in its environment, which
    // its processes inherit; stopping it kills each process that has the token.
    const token = randomBytes(8).toString('hex');
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(new CancelledError());
      this.client.exec(`exec env FORKLIFT_RUN=${token} sh -c ${quote(command)}`, (err: Error | undefined, channel: ClientChannel) => {
        if (err) return reject(new TransportError(this.node, this.host, err.message));
        const out: Buffer[] = [];
        const errOut: Buffer[] = [];
        let stopping = false;
        const onAbort = () => {
          stopping = true;
          const timedOut = timeout?.aborted && !cancel?.aborted;
          void this.kill(token).finally(() => {
            channel.close();
            reject(timedOut ? new ForkliftError(`node ${this.node}: still running after ${timeoutMs} ms; stopped it`, 'TIMEOUT') : new CancelledError());
          });
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        channel.on('data', (d: Buffer) => out.push(d));
        channel.stderr.on('data', (d: Buffer) => errOut.push(d));
        channel.on('close', (code: number | null, signalName?: string) => {
          signal?.removeEventListener('abort', onAbort);
          // Stopped: the command's end is reported as the timeout or cancellation.
          if (stopping) return;
          resolve({ exitCode: code ?? (signalName ? 128 : 255), stdout: Buffer.concat(out), stderr: Buffer.concat(errOut) });
        });
        channel.end(stdin);
      });
    });
  }

  /** Kill every process of the run that carries `token` (bounded to 5 s; best effort). */
  private kill(token: string): Promise<void> {
    const script = `for e in /proc/[0-9]*/environ; do if grep -qzx 'FORKLIFT_RUN=${token}' "$e" 2>/dev/null; then p=\${e#/proc/}; kill -TERM "\${p%/environ}" 2>/dev/null; fi; done; true`;
    return new Promise((done) => {
      const timer = setTimeout(done, 5000);
      this.client.exec(script, (err: Error | undefined, channel: ClientChannel) => {
        if (err) return done();
        channel.on('close', () => {
          clearTimeout(timer);
          done();
        });
        channel.resume();
        channel.stderr.resume();
      });
    });
  }

  close(): void {
    this.client.end();
  }
}

function connectOnce(node: string, endpoint: SshEndpoint, timeoutMs: number, signal?: AbortSignal): Promise<SshConnection> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new CancelledError());
    const client = new Client();
    const expected = endpoint.hostKey ? Buffer.from(endpoint.hostKey.trim().split(/\s+/)[1] ?? '', 'base64') : undefined;
    let hostKeyMismatch = false;
    const fail = (message: string) => {
      signal?.removeEventListener('abort', onAbort);
      client.end();
      reject(new TransportError(node, endpoint.host, message));
    };
    const onAbort = () => {
      client.end();
      reject(new CancelledError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    client.on('ready', () => {
      signal?.removeEventListener('abort', onAbort);
      // @ts-expect-error private constructor is ours to call
      resolve(new SshConnection(client, node, endpoint.host));
    });
    client.on('error', (err: Error & { level?: string }) => {
      if (hostKeyMismatch) return fail('host key does not match the one recorded for this node (refusing to connect)');
      if (err.level === 'client-authentication') return fail(`SSH authentication as ${endpoint.user} failed`);
      fail(err.message);
    });
    client.connect({
      host: endpoint.host,
      port: endpoint.port,
      username: endpoint.user,
      privateKey: endpoint.privateKey,
      readyTimeout: Math.max(1000, Math.min(timeoutMs, 20_000)),
      keepaliveInterval: 15_000,
      keepaliveCountMax: 4,
      ...(expected
        ? {
            hostVerifier: (key: Buffer) => {
              hostKeyMismatch = !expected.equals(key);
              return !hostKeyMismatch;
            },
          }
        : {}),
    });
  });
}
