// Reaching the daemon: connect to its socket (after checking that it and its folder are
// this user's alone), starting it first when nobody answers. The daemon is `forklift
// sessions serve`, detached in a session of its own with its own log file, so Ctrl-C on
// the CLI's terminal does not reach it and it outlives the CLI.
import { spawn } from 'node:child_process';
import { closeSync, openSync, statSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { checkPrivateDir, ensurePrivateDir } from '../../private-dir.ts';
import { checkSocket, type SessionsPaths } from './paths.ts';

const LOG_MAX = 1 << 20;

function size(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** How long a starting daemon may take to answer. */
const START_MS = 5000;

/** A socket to the daemon, or the reason there is none (ENOENT, ECONNREFUSED, a wrong owner). */
export function dial(paths: SessionsPaths): Promise<Socket> {
  return new Promise((resolve, reject) => {
    try {
      checkPrivateDir(paths.dir);
      checkSocket(paths.socket);
    } catch (error) {
      return reject(error);
    }
    const socket = connect(paths.socket);
    socket.once('connect', () => {
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

const bin = () => fileURLToPath(new URL('../../../bin/forklift.js', import.meta.url));

/** Start the daemon (detached; its output to its log) and wait until its socket answers. */
export async function startDaemon(paths: SessionsPaths, idleMs: number): Promise<void> {
  ensurePrivateDir(paths.dir);
  // The log starts over once it passes 1 MiB (it holds a line per connection made or closed).
  const log = openSync(paths.log, size(paths.log) > LOG_MAX ? 'w' : 'a', 0o600);
  try {
    const child = spawn(process.execPath, [bin(), 'sessions', 'serve', '--idle', `${Math.max(1, Math.round(idleMs / 1000))}s`], {
      detached: true,
      cwd: '/',
      stdio: ['ignore', log, log],
      env: { ...process.env, FORKLIFT_SESSIONS_DIR: paths.dir },
    });
    child.unref();
    child.once('error', () => undefined);
  } finally {
    closeSync(log);
  }
  const deadline = Date.now() + START_MS;
  for (;;) {
    try {
      (await dial(paths)).destroy();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`the daemon did not answer within ${START_MS / 1000} s (see ${paths.log}): ${(error as Error).message}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** A socket to a running daemon, starting one when there is none. */
export async function reach(paths: SessionsPaths, idleMs: number): Promise<Socket> {
  try {
    return await dial(paths);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ECONNREFUSED') throw error;
  }
  await startDaemon(paths, idleMs);
  return dial(paths);
}
