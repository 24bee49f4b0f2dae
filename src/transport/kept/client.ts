// The CLI's side of kept sessions: a Transport whose connections are sockets to the
// per-user daemon (daemon.ts), which holds the SSH connections between runs. A run's
// output streams back as it comes; the sources a script asks for are fed from here (the
// daemon relays the bytes, a window at a time). Cancel and timeout stop the run on the node
// as a direct connection does (the daemon kills the run's processes, then answers).
//
// When the daemon cannot be reached or started, the transport says why once and connects
// directly (ssh.ts) for the rest of the process: forklift works as it does without it.
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { CancelledError } from '../../errors.ts';
import { ConnectionLostError, DisconnectedError, type Endpoint } from '../errors.ts';
import { Feeder, type Sink } from '../feed.ts';
import { sshTransport } from '../ssh.ts';
import type { ConnectOptions, ConnectTarget, Connection, RunOptions, RunOutput, Transport } from '../types.ts';
import type { SessionsPaths } from './paths.ts';
import { encode, FRAME, FrameReader, fromWire, json, PROTOCOL, type Frame, type OpenRequest, type Opened, type RunRequest, type WireError } from './protocol.ts';
import { reach, dial } from './start.ts';

export interface KeptOptions {
  paths: SessionsPaths;
  /** The daemon exits after this long without a CLI, ms; its connections close after this long unused. */
  idleMs: number;
  /** Told once, when the daemon cannot be used and connections go direct. */
  onFallback?: (reason: string) => void;
}

/** stdin bytes in flight to the daemon per run, before the node has taken them. */
const WINDOW = 1 << 20;

export function keptTransport(options: KeptOptions): Transport {
  let ready: Promise<boolean> | undefined;
  let mismatchTold = false;
  const fallBack = (reason: string) => {
    options.onFallback?.(reason);
    return false;
  };
  // Reached (or started) once per process; every connection then dials on its own.
  const daemon = () => (ready ??= reach(options.paths, options.idleMs).then((s) => (s.destroy(), true), (e: Error) => fallBack(e.message)));
  return {
    name: 'ssh (kept sessions)',
    async connect(target: ConnectTarget, connectOptions: ConnectOptions = {}): Promise<Connection> {
      if (!(await daemon())) return sshTransport.connect(target, connectOptions);
      let socket: Socket;
      try {
        socket = await dial(options.paths);
      } catch {
        return sshTransport.connect(target, connectOptions);
      }
      return KeptConnection.open(socket, target, connectOptions).catch((error: unknown) => {
        if (error instanceof ProtocolMismatch && !mismatchTold) {
          mismatchTold = true;
          options.onFallback?.(`the running daemon is another forklift's (protocol ${error.protocol}, this one ${PROTOCOL}); run forklift sessions stop`);
        }
        if (error instanceof DaemonGone) return sshTransport.connect(target, connectOptions);
        throw error;
      });
    },
  };
}

/** The daemon closed the socket before answering: connect directly instead. */
class DaemonGone extends Error {}

/** The daemon is another forklift's: connect directly instead. */
class ProtocolMismatch extends DaemonGone {
  constructor(readonly protocol: number) {
    super('protocol');
  }
}

interface RunState {
  onFrame(f: Frame): void;
  onClose(): void;
}

class KeptConnection implements Connection {
  private readonly reader = new FrameReader();
  private readonly runs = new Map<number, RunState>();
  private nextId = 1;
  private closed = false;

  private constructor(
    private readonly socket: Socket,
    private readonly at: Endpoint,
    readonly hostKey: string,
    readonly jumpHostKeys: readonly string[],
  ) {
    socket.on('data', (chunk: Buffer) => {
      for (const f of this.reader.push(chunk)) this.runs.get(f.id)?.onFrame(f);
    });
    socket.on('close', () => {
      this.closed = true;
      for (const run of [...this.runs.values()]) run.onClose();
    });
  }

  static open(socket: Socket, target: ConnectTarget, options: ConnectOptions): Promise<KeptConnection> {
    const at = { node: target.name, host: target.ssh.host, port: target.ssh.port };
    const reader = new FrameReader();
    return new Promise((resolve, reject) => {
      const { signal } = options;
      const finish = (f: () => void) => {
        socket.removeListener('data', onData);
        socket.removeListener('close', onClose);
        signal?.removeEventListener('abort', onAbort);
        f();
      };
      const onAbort = () => finish(() => (socket.destroy(), reject(new CancelledError())));
      const onClose = () => finish(() => reject(new DaemonGone()));
      const onData = (chunk: Buffer) => {
        for (const f of reader.push(chunk)) {
          if (f.type === FRAME.opened) {
            const o = json<Opened>(f);
            return finish(() => resolve(new KeptConnection(socket, at, o.hostKey, o.jumpHostKeys)));
          }
          if (f.type === FRAME.error) return finish(() => (socket.destroy(), reject(fromWire(json<WireError>(f), at))));
          if (f.type === FRAME.mismatch) return finish(() => (socket.destroy(), reject(new ProtocolMismatch(json<{ protocol: number }>(f).protocol))));
        }
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      socket.on('data', onData).on('close', onClose).on('error', () => undefined);
      const req: OpenRequest = { protocol: PROTOCOL, name: target.name, ssh: target.ssh, timeoutMs: options.timeoutMs ?? 30_000 };
      socket.write(encode(FRAME.open, 0, req));
    });
  }

  runScript(script: string, options: RunOptions = {}): Promise<RunOutput> {
    return this.run(script, options);
  }

  run(command: string, { stdin = '', signal, timeoutMs, sources, keepChannel }: RunOptions = {}): Promise<RunOutput> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(new CancelledError());
      if (this.closed) return reject(new DisconnectedError(this.at, 'the kept-sessions daemon is gone'));
      const id = this.nextId++;
      const out: Buffer[] = [];
      const errOut: Buffer[] = [];
      const feed = (sources?.size ?? 0) > 0;
      const sink = new DaemonSink(this.socket, id);
      const feeder = feed ? new Feeder(sink, sources!) : undefined;
      let cancelled = false;
      const settle = (f: () => void) => {
        feeder?.close();
        sink.close();
        this.runs.delete(id);
        signal?.removeEventListener('abort', onAbort);
        f();
      };
      // The daemon stops the run on the node, then answers with the CancelledError.
      const onAbort = () => {
        cancelled = true;
        this.socket.write(encode(FRAME.cancel, id));
      };
      this.runs.set(id, {
        onFrame: (f) => {
          if (f.type === FRAME.stdout) {
            const d = Buffer.from(f.payload);
            out.push(d);
            feeder?.onStdout(d);
          } else if (f.type === FRAME.stderr) errOut.push(Buffer.from(f.payload));
          else if (f.type === FRAME.ack) sink.acked(json<{ bytes: number }>(f).bytes);
          else if (f.type === FRAME.exit) {
            const { exitCode } = json<{ exitCode: number }>(f);
            settle(() => resolve({ exitCode, stdout: Buffer.concat(out), stderr: Buffer.concat(errOut), ...(feeder ? { streamed: feeder.sent } : {}) }));
          } else if (f.type === FRAME.error) settle(() => reject(fromWire(json<WireError>(f), this.at, Buffer.concat(out), Buffer.concat(errOut))));
        },
        // The daemon died while the run ran (its SSH connection went with it; the node's watchdog stops the run).
        onClose: () => settle(() => reject(cancelled ? new CancelledError() : new ConnectionLostError(this.at, Buffer.concat(out), Buffer.concat(errOut)))),
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      const req: RunRequest = { command, feed, ...(timeoutMs ? { timeoutMs } : {}), ...(keepChannel && !feed && stdin.length === 0 ? { keepChannel } : {}) };
      this.socket.write(encode(FRAME.run, id, req));
      const bytes = typeof stdin === 'string' ? Buffer.from(stdin, 'utf8') : stdin;
      if (bytes.length) sink.write(bytes);
      if (!feed) this.socket.write(encode(FRAME.eof, id));
    });
  }

  close(): void {
    this.closed = true;
    this.socket.end();
  }
}

/** A run's stdin as the Feeder sees it: frames to the daemon, at most WINDOW bytes ahead of what the node took. */
class DaemonSink extends EventEmitter implements Sink {
  private inFlight = 0;

  constructor(
    private readonly socket: Socket,
    private readonly id: number,
  ) {
    super();
  }

  write(chunk: Buffer): boolean {
    this.inFlight += chunk.length;
    this.socket.write(encode(FRAME.stdin, this.id, chunk));
    return this.inFlight < WINDOW;
  }

  acked(bytes: number): void {
    const before = this.inFlight;
    this.inFlight -= bytes;
    if (before >= WINDOW && this.inFlight < WINDOW) this.emit('drain');
  }

  close(): void {
    this.emit('close');
  }
}
