// A folder only this user may enter (0700): where forklift keeps what others must not read
// or replace (the kept-sessions socket, compiled stack files).
import { lstatSync, mkdirSync } from 'node:fs';

const uid = () => process.getuid?.() ?? -1;

/** Make the folder (0700) if needed; throw, saying why, when it is not this user's alone. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  checkPrivateDir(dir);
}

export function checkPrivateDir(dir: string): void {
  const st = lstatSync(dir);
  if (!st.isDirectory()) throw new Error(`${dir} is not a folder`);
  if (st.uid !== uid()) throw new Error(`${dir} belongs to uid ${st.uid}, not to this user (uid ${uid()})`);
  if (st.mode & 0o077) throw new Error(`${dir} may be entered by other users (mode ${(st.mode & 0o777).toString(8)}); it must be 0700`);
}
