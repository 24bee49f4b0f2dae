// The kept-sessions daemon: one per user, started on demand by the CLI (start.ts), holding
// SSH connections (pool.ts) between CLI runs and running scripts on them for the CLI. Each
// CLI connection to a node is one socket here; its runs stream stdout/stderr to the CLI and
// take stdin from it (the CLI feeds the sources). A run whose CLI cancels it, or whose
// socket closes (the CLI was killed), is stopped on the node as a direct run would be
// (SshConnection's kill of every process carrying the run's token). With no CLI connected
// for `idleMs` the daemon closes its connections and exits.
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { ClientChannel } from 'ssh2';
import { ensurePrivateDir } from '../../private-dir.ts';
import type { SessionsPaths } from './paths.ts';
import type { Relay } from '../ssh.ts';
import { Pool, type Kept } from './pool.ts';
import { encode, FRAME, PROTOCOL, FrameReader, json, toWire, type DaemonStatus, type Frame, type OpenRequest, type RunRequest } from './protocol.ts';

export interface DaemonOptions {
  paths: SessionsPaths;
  idleMs: number;
  log?: (line: string) => void;
}

interface ActiveRun {
  abort: AbortController;
  channel?: ClientChannel;
  /** stdin that came before the channel opened. */
  queued: Buffer[];
  eof: boolean;
  write(chunk: Buffer): void;
}

/** Run the daemon until it has been idle for `idleMs` or is told to stop; resolves when it has exited cleanly. */
export async function serve(options: DaemonOptions): Promise<void> {
  const { paths, idleMs } = options;
  const log = options.log ?? (() => undefined);
  ensurePrivateDir(paths.dir);
  if (!claimPidFile(paths.pidFile)) {
    log('another daemon is running; exiting');
    return;
  }
  const pool = new Pool(undefined, log);
  const clients = new Set<Socket>();
  const runs = new Set<ActiveRun>();
  const startedAt = new Date();
  let lastActivity = Date.now();
  let stopping = false;
  let server: Server | undefined;
  let finished!: () => void;
  const done = new Promise<void>((resolve) => (finished = resolve));

  const stop = async (why: string) => {
    if (stopping) return;
    stopping = true;
    log(`stopping: ${why}`);
    clearInterval(sweeper);
    for (const run of runs) run.abort.abort();
    server?.close();
    try {
      unlinkSync(paths.socket);
    } catch {
      // already gone
    }
    // Let the aborted runs' kills reach the nodes (bounded in SshConnection) before closing.
    const deadline = Date.now() + 6000;
    while (runs.size && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    for (const c of clients) c.destroy();
    await pool.closeAll();
    releasePidFile(paths.pidFile);
    finished();
  };

  const sweeper = setInterval(() => {
    void pool.sweep(idleMs);
    if (clients.size === 0 && Date.now() - lastActivity >= idleMs) void stop(`idle for ${Math.round(idleMs / 1000)} s`);
  }, Math.max(100, Math.min(5000, Math.floor(idleMs / 10))));

  const link = (socket: Socket) => {
    clients.add(socket);
    lastActivity = Date.now();
    const reader = new FrameReader();
    const mine = new Map<number, ActiveRun>();
    let kept: Kept | undefined;
    let closed = false;
    const send = (type: number, id: number, payload?: Buffer | object) => {
      if (!closed) socket.write(encode(type, id, payload));
    };
    socket.on('error', () => undefined);
    socket.on('close', () => {
      closed = true;
      clients.delete(socket);
      lastActivity = Date.now();
      // The CLI is gone (closed, killed): its runs are stopped on the nodes.
      for (const run of mine.values()) run.abort.abort();
      if (kept) pool.release(kept);
    });

    const startRun = (id: number, req: RunRequest) => {
      if (!kept) return send(FRAME.error, id, toWire(new Error('run before open')));
      const run: ActiveRun = {
        abort: new AbortController(),
        queued: [],
        eof: false,
        // Bytes are acknowledged once the channel took them: the CLI sends at most a window
        // ahead (client.ts), so the node's backpressure reaches the file being read there.
        write(chunk) {
          const ack = () => send(FRAME.ack, id, { bytes: chunk.length });
          if (run.channel!.write(chunk)) ack();
          else run.channel!.once('drain', ack);
        },
      };
      mine.set(id, run);
      runs.add(run);
      lastActivity = Date.now();
      const common = { signal: run.abort.signal, ...(req.timeoutMs ? { timeoutMs: req.timeoutMs } : {}) };
      const relay = (channel: ClientChannel): Relay => ({
        start: () => {
          run.channel = channel;
          for (const chunk of run.queued.splice(0)) run.write(chunk);
          if (run.eof) channel.end();
        },
        onStdout: (d) => send(FRAME.stdout, id, d),
        onStderr: (d) => send(FRAME.stderr, id, d),
        close: () => undefined,
      });
      // A command that leaves the channel open for the next has no stdin to relay: its output is sent whole.
      const ran = req.keepChannel
        ? kept.conn.run(req.command, { ...common, keepChannel: true }).then((out) => {
            if (out.stdout.length) send(FRAME.stdout, id, out.stdout);
            if (out.stderr.length) send(FRAME.stderr, id, out.stderr);
            return out;
          })
        : kept.conn.run(req.command, { ...common, relay });
      ran
        .then(
          (out) => send(FRAME.exit, id, { exitCode: out.exitCode }),
          (error: unknown) => send(FRAME.error, id, toWire(error)),
        )
        .finally(() => {
          mine.delete(id);
          runs.delete(run);
          lastActivity = Date.now();
        });
    };

    const onFrame = (f: Frame) => {
      const run = mine.get(f.id);
      switch (f.type) {
        case FRAME.open: {
          const req = json<OpenRequest>(f);
          if (req.protocol !== PROTOCOL) return send(FRAME.mismatch, f.id, { protocol: PROTOCOL });
          pool.acquire(req.name, req.ssh, req.timeoutMs).then(
            (got) => {
              if (closed) return pool.release(got.kept);
              kept = got.kept;
              send(FRAME.opened, f.id, { hostKey: got.kept.conn.hostKey, jumpHostKeys: got.kept.conn.jumpHostKeys, reused: got.reused });
            },
            (error: unknown) => send(FRAME.error, f.id, toWire(error)),
          );
          return;
        }
        case FRAME.run:
          return startRun(f.id, json<RunRequest>(f));
        case FRAME.stdin:
          if (!run) return;
          if (run.channel) run.write(Buffer.from(f.payload));
          else run.queued.push(Buffer.from(f.payload));
          return;
        case FRAME.eof:
          if (!run) return;
          run.eof = true;
          run.channel?.end();
          return;
        case FRAME.cancel:
          run?.abort.abort();
          return;
        case FRAME.status:
          void pool.status().then((connections) => {
            const status: DaemonStatus = { pid: process.pid, protocol: PROTOCOL, startedAt: startedAt.toISOString(), idleMs, clients: clients.size - 1, connections };
            send(FRAME.statusReply, f.id, status);
          });
          return;
        case FRAME.stop:
          send(FRAME.statusReply, f.id, { stopping: true });
          void stop('asked to stop');
          return;
      }
    };
    socket.on('data', (chunk: Buffer) => {
      for (const f of reader.push(chunk)) onFrame(f);
    });
  };

  try {
    unlinkSync(paths.socket);
  } catch {
    // no stale socket
  }
  // The socket is made 0600 as it is created (no window in which others could connect).
  const umask = process.umask(0o177);
  try {
    server = createServer(link);
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(paths.socket, () => resolve());
    });
  } catch (error) {
    clearInterval(sweeper);
    releasePidFile(paths.pidFile);
    throw error;
  } finally {
    process.umask(umask);
  }
  log(`listening on ${paths.socket} (pid ${process.pid}, idle expiry ${Math.round(idleMs / 1000)} s)`);
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
  await done;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Take the pid file, unless a live daemon holds it. */
function claimPidFile(path: string): boolean {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number(readFileSync(path, 'utf8').trim());
      if (pid > 0 && pid !== process.pid && alive(pid)) return false;
      try {
        unlinkSync(path);
      } catch {
        // another starter removed it first
      }
    }
  }
  return false;
}

function releasePidFile(path: string): void {
  try {
    if (Number(readFileSync(path, 'utf8').trim()) === process.pid) unlinkSync(path);
  } catch {
    // gone already
  }
}
