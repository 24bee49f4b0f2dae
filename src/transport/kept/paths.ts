// Where the kept-sessions daemon lives: a folder only its user can enter (0700), holding
// the socket (0600), its pid file and its log. $FORKLIFT_SESSIONS_DIR, else
// $XDG_RUNTIME_DIR/forklift (a tmpfs that goes at logout), else ~/.forklift/run.
//
// Node cannot ask a unix socket who its peer is (no SO_PEERCRED), so the folder and the
// socket are what keep other users out: both sides check that they belong to this user
// and that nobody else may enter or write them before using them.
import { lstatSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface SessionsPaths {
  dir: string;
  socket: string;
  pidFile: string;
  log: string;
}

export function sessionsPaths(env: NodeJS.ProcessEnv = process.env): SessionsPaths {
  const dir = env['FORKLIFT_SESSIONS_DIR'] || (env['XDG_RUNTIME_DIR'] ? join(env['XDG_RUNTIME_DIR'], 'forklift') : join(homedir(), '.forklift', 'run'));
  return { dir, socket: join(dir, 'sessions.sock'), pidFile: join(dir, 'sessions.pid'), log: join(dir, 'sessions.log') };
}

const uid = () => process.getuid?.() ?? -1;

/** The socket is this user's and only this user's (checked before connecting to it). */
export function checkSocket(path: string): void {
  const st = lstatSync(path);
  if (!st.isSocket()) throw new Error(`${path} is not a socket`);
  if (st.uid !== uid()) throw new Error(`${path} belongs to uid ${st.uid}, not to this user`);
  if (st.mode & 0o077) throw new Error(`${path} may be used by other users (mode ${(st.mode & 0o777).toString(8)}); it must be 0600`);
}
