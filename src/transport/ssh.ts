// SSH transport (ssh2): one connection per node, opened once and reused across phases.
// Commands and scripts go over stdin to a shell on the node (see remote.ts); no pty (a pty
// kills background processes). A node's host key is checked against its pin when it has
// one, and the key it presented is reported either way (Connection.hostKey); so are its
// jump hosts' (connect.ts). A user who is not root becomes root with `sudo -n`, checked
// once when the connection opens: a sudo that wants a password fails it at once.
import { randomBytes } from 'node:crypto';
import type { Client, ClientChannel } from 'ssh2';
import { CancelledError, ForkliftError, TransportError } from '../errors.ts';
import { handshake, Refused, Unreachable } from './connect.ts';
import { ConnectionLostError, DisconnectedError, type Endpoint } from './errors.ts';
import { Feeder } from './feed.ts';
import { framed, killCommand, NEXT_MARK, PARK, remoteCommand, SUDO_PROBE, type RemoteShell } from './remote.ts';
import type { ConnectOptions, ConnectTarget, Connection, RunOptions, RunOutput, SshEndpoint, Transport } from './types.ts';

/**
 * Instead of a Feeder, a run's stdin and output handled by the caller (the kept-sessions
 * daemon relays them to the CLI, which feeds the sources): stdin stays open after the
 * command, `start` is called once the command is written, and the caller ends stdin.
 */
export interface Relay {
  start(): void;
  onStdout(chunk: Buffer): void;
  onStderr(chunk: Buffer): void;
  close(): void;
}

/** What came before the end mark in `chunks`, and the exit code the mark carries; undefined until the whole mark is there. */
function untilMark(chunks: Buffer[]): { before: Buffer; code: number } | undefined {
  // The mark is the stream's last line: look at the tail first, so a large output is not
  // concatenated again on every chunk.
  if (chunks.at(-1)?.at(-1) !== 0x0a) return undefined;
  const want = NEXT_MARK.length + 24;
  let from = chunks.length - 1;
  for (let have = chunks[from]!.length; have < want && from > 0; ) have += chunks[--from]!.length;
  if (Buffer.concat(chunks.slice(from)).subarray(-want).lastIndexOf(NEXT_MARK) < 0) return undefined;
  const all = Buffer.concat(chunks);
  const at = all.lastIndexOf(NEXT_MARK);
  const end = all.indexOf(0x0a, at);
  return { before: all.subarray(0, at), code: Number(all.subarray(at + NEXT_MARK.length, end).toString()) };
}

export interface SshRunOptions extends RunOptions {
  relay?: (channel: ClientChannel) => Relay;
}

/** A channel whose shell waits for the connection's next command (remote.ts): that run needs no exec of its own. */
interface HeldChannel {
  channel: ClientChannel;
  /** The token its shell's processes carry (the next run's kill uses it). */
  token: string;
  closed: boolean;
  /** Stop watching it for an idle close (it runs a command again). */
  release?: () => void;
}

export const sshTransport: Transport = {
  name: 'ssh',
  connect: (target: ConnectTarget, options?: ConnectOptions) => SshConnection.open(target.name, target.ssh, options),
};

export class SshConnection implements Connection {
  /** Why the connection ended, once it has. */
  private ended: string | undefined;
  private readonly onEnd = new Set<() => void>();
  private held: HeldChannel | undefined;

  private constructor(
    private readonly client: Client,
    private readonly at: Endpoint,
    readonly hostKey: string,
    readonly jumpHostKeys: readonly string[],
    private readonly shell: RemoteShell,
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

  /** Whether the connection is still up (as far as this side knows). */
  get alive(): boolean {
    return this.ended === undefined;
  }

  get port(): number {
    return this.at.port;
  }

  get host(): string {
    return this.at.host;
  }

  /**
   * Connect, retrying refusals, unreachable hosts and silent ports until `timeoutMs`
   * (default 30 s) has passed (not when the endpoint says `retry: false`). A wrong host key, a refused login or a sudo that wants a
   * password is not retried.
   */
  static async open(node: string, endpoint: SshEndpoint, options: ConnectOptions = {}): Promise<SshConnection> {
    const timeoutMs = options.timeoutMs ?? 30_000;
    const deadline = Date.now() + timeoutMs;
    const at = { node, host: endpoint.host, port: endpoint.port };
    const fail = (message: string, code: string) => new TransportError(node, endpoint.host, message, code, { port: endpoint.port });
    for (;;) {
      let opened;
      try {
        opened = await handshake(endpoint, deadline - Date.now(), options.signal);
      } catch (error) {
        if (error instanceof Refused) throw fail(error.message, error.code);
        if (!(error instanceof Unreachable)) throw error;
        if (options.signal?.aborted) throw new CancelledError();
        if (endpoint.retry === false) throw fail(`could not connect: ${error.message}`, 'UNREACHABLE');
        if (Date.now() + 250 > deadline) throw fail(`could not connect within ${timeoutMs / 1000} s: ${error.message}`, 'UNREACHABLE');
        await new Promise((r) => setTimeout(r, 250));
        continue;
      }
      const shell: RemoteShell = { ...(endpoint.become ? { become: true } : {}), ...(endpoint.stateDir ? { stateDir: endpoint.stateDir } : {}) };
      const conn = new SshConnection(opened.client, at, opened.hostKey, opened.jumpHostKeys, shell);
      if (endpoint.become) await conn.checkSudo(endpoint.user, options.signal);
      return conn;
    }
  }

  /** Fail the connection, by name, when the user cannot become root without a password. */
  private async checkSudo(user: string, signal?: AbortSignal): Promise<void> {
    let code: number;
    try {
      code = await this.exitCodeOf(SUDO_PROBE, signal);
    } catch (error) {
      this.close();
      throw error;
    }
    if (code === 0) return;
    this.close();
    const why = code === 127 ? `sudo is not installed, so ${user} cannot become root; install sudo or log in as root` : `sudo needs a password for ${user}; allow NOPASSWD for ${user} or log in as root`;
    throw new TransportError(this.at.node, this.at.host, why, 'SUDO', { port: this.at.port });
  }

  /** The exit code of a fixed command line, run as the login user. */
  private exitCodeOf(command: string, signal?: AbortSignal): Promise<number> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(new CancelledError());
      const lost = () => reject(new DisconnectedError(this.at, this.ended ?? 'closed'));
      try {
        this.client.exec(command, (err: Error | undefined, channel: ClientChannel) => {
          if (err) return lost();
          channel.on('close', (code: number | null) => resolve(code ?? 255));
          channel.resume();
          channel.stderr.resume();
          channel.end();
        });
      } catch {
        lost();
      }
    });
  }

  /**
   * Run a command, feeding `stdin`; resolves with its exit code and all output. After
   * `timeoutMs` (or when `cancel` fires) the remote command and everything it started
   * are killed, then the run rejects (code TIMEOUT, or a CancelledError).
   */
  runScript(script: string, options: RunOptions = {}): Promise<RunOutput> {
    return this.run(script, options);
  }

  run(command: string, { stdin = '', signal: cancel, timeoutMs, sources, relay, keepChannel }: SshRunOptions = {}): Promise<RunOutput> {
    const timeout = timeoutMs ? AbortSignal.timeout(timeoutMs) : undefined;
    const signal = timeout && cancel ? AbortSignal.any([cancel, timeout]) : (timeout ?? cancel);
    // A command with input of its own ends the channel's commands: it cannot leave it open.
    const more = keepChannel === true && !relay && !sources?.size && stdin.length === 0;
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(new CancelledError());
      if (this.ended) return reject(new DisconnectedError(this.at, this.ended));
      const held = this.takeHeld();
      const token = held?.token ?? randomBytes(8).toString('hex');
      const started = (err: Error | undefined, channel: ClientChannel) => {
        // The channel did not open: the command never started.
        if (err) return reject(new DisconnectedError(this.at, this.ended ?? err.message));
        const out: Buffer[] = [];
        const errOut: Buffer[] = [];
        // With sources, stdin stays open after the script: it asks for content on stdout (feed.ts).
        const relayed = relay?.(channel);
        const feeder = relayed ?? (sources?.size ? new Feeder(channel, sources) : undefined);
        let settled = false;
        const detach = () => {
          channel.removeListener('data', onData);
          channel.stderr.removeListener('data', onErrData);
          channel.removeListener('close', onClose);
        };
        const settle = (f: () => void) => {
          feeder?.close();
          if (settled) return;
          settled = true;
          signal?.removeEventListener('abort', onAbort);
          this.onEnd.delete(onLost);
          f();
        };
        const onLost = () => settle(() => reject(new ConnectionLostError(this.at, Buffer.concat(out), Buffer.concat(errOut))));
        const onAbort = () => {
          const timedOut = timeout?.aborted && !cancel?.aborted;
          feeder?.close();
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
        // A command of more ends where the shell marked the end of its output on both streams.
        const marked = () => {
          if (!more || settled) return;
          const stdout = untilMark(out);
          const stderr = untilMark(errOut);
          if (!stdout || !stderr) return;
          detach();
          this.hold({ channel, token, closed: false });
          settle(() => resolve({ exitCode: stdout.code, stdout: stdout.before, stderr: stderr.before }));
        };
        const onData = (d: Buffer) => {
          out.push(d);
          feeder?.onStdout(d);
          marked();
        };
        const onErrData = (d: Buffer) => {
          errOut.push(d);
          relayed?.onStderr(d);
          marked();
        };
        const onClose = (code: number | null, signalName?: string) => {
          if (this.ended) return onLost();
          const streamed = feeder instanceof Feeder ? { streamed: feeder.sent } : {};
          settle(() => resolve({ exitCode: code ?? (signalName ? 128 : 255), stdout: Buffer.concat(out), stderr: Buffer.concat(errOut), ...streamed }));
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        this.onEnd.add(onLost);
        channel.on('data', onData);
        channel.stderr.on('data', onErrData);
        channel.on('close', onClose);
        // A write racing the channel's close must not throw out of the event loop.
        channel.on('error', () => undefined);
        if (more) return void channel.write(framed(command, '', true));
        if (!feeder) return void channel.end(framed(command, stdin));
        channel.write(framed(command, stdin));
        relayed?.start();
      };
      if (held) return started(undefined, held.channel);
      try {
        this.client.exec(remoteCommand(token, this.shell), started);
      } catch (error) {
        // ssh2 throws "Not connected" when the socket is already gone.
        reject(new DisconnectedError(this.at, this.ended ?? (error as Error).message));
      }
    });
  }

  /** Keep a channel waiting for the next command; a later one replaces (and ends) it. */
  private hold(held: HeldChannel): void {
    this.takeHeld()?.channel.end();
    const onIdleClose = () => {
      held.closed = true;
      if (this.held === held) this.held = undefined;
    };
    held.channel.once('close', onIdleClose);
    this.held = held;
    held.release = () => held.channel.removeListener('close', onIdleClose);
  }

  /** The waiting channel, if there is one still open; the caller owns it from now. */
  private takeHeld(): HeldChannel | undefined {
    const held = this.held;
    this.held = undefined;
    if (!held || held.closed) return undefined;
    held.release?.();
    return held;
  }

  /**
   * Park the channel kept waiting for the next command, if there is one: its watchdog stops,
   * so a shell held between operations (kept sessions) costs the node nothing while it waits.
   * Best effort: a channel that does not answer within 5 s is closed.
   */
  park(): Promise<void> {
    const held = this.takeHeld();
    if (!held) return Promise.resolve();
    const { channel } = held;
    return new Promise((done) => {
      const out: Buffer[] = [];
      const errOut: Buffer[] = [];
      const finish = (keep: boolean) => {
        clearTimeout(timer);
        channel.removeListener('data', onData);
        channel.stderr.removeListener('data', onErrData);
        channel.removeListener('close', onClose);
        if (keep) this.hold(held);
        else channel.close();
        done();
      };
      const timer = setTimeout(() => finish(false), 5000);
      const onData = (d: Buffer) => {
        out.push(d);
        if (untilMark(out) && untilMark(errOut)) finish(true);
      };
      const onErrData = (d: Buffer) => {
        errOut.push(d);
        if (untilMark(out) && untilMark(errOut)) finish(true);
      };
      const onClose = () => finish(false);
      channel.on('data', onData);
      channel.stderr.on('data', onErrData);
      channel.on('close', onClose);
      channel.write(PARK);
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
        this.client.exec(killCommand(token, this.shell), (err: Error | undefined, channel: ClientChannel) => {
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
    // A shell waiting for the next command gets its end of input first, so it exits while its sshd session is there to reap it.
    this.takeHeld()?.channel.end();
    this.client.end();
  }
}
