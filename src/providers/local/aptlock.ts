// Who holds apt's locks, read from /proc/locks (apt and dpkg take POSIX locks on these
// files). apt-get waits for dpkg's lock when asked to (DPkg::Lock::Timeout), but
// `apt-get update` gives up at once on the lists lock, so forklift waits for it here.
import { readFileSync, statSync } from 'node:fs';

export const APT_LOCKS = ['/var/lib/dpkg/lock-frontend', '/var/lib/dpkg/lock', '/var/lib/apt/lists/lock', '/var/cache/apt/archives/lock'];

export interface LockHolder {
  path: string;
  pid: number;
  /** The holder's command name (/proc/<pid>/comm), e.g. unattended-upgr. */
  command: string;
}

/** "major:minor:inode" as /proc/locks prints a file's identity (device numbers in hex). */
function identity(path: string): string | undefined {
  try {
    const st = statSync(path, { bigint: true });
    const major = ((st.dev >> 8n) & 0xfffn) | ((st.dev >> 32n) & ~0xfffn);
    const minor = (st.dev & 0xffn) | ((st.dev >> 12n) & ~0xffn);
    return `${major.toString(16).padStart(2, '0')}:${minor.toString(16).padStart(2, '0')}:${st.ino}`;
  } catch {
    return undefined; // no such lock file: nobody holds it
  }
}

/** The first process other than this one holding one of apt's locks, or undefined. */
export function aptLockHolder(paths: readonly string[] = APT_LOCKS): LockHolder | undefined {
  let table: string;
  try {
    table = readFileSync('/proc/locks', 'utf8');
  } catch {
    return undefined;
  }
  // "1: POSIX  ADVISORY  WRITE 13690 fe:00:2146647 0 EOF"; waiters are listed with "->" and hold nothing.
  const held = table
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((w) => w.length >= 6 && w[1] !== '->')
    .map((w) => ({ pid: Number(w[4]), id: w[5] }));
  for (const path of paths) {
    const id = identity(path);
    const hit = id && held.find((h) => h.id === id && h.pid > 0 && h.pid !== process.pid);
    if (hit) return { path, pid: hit.pid, command: commandOf(hit.pid) };
  }
  return undefined;
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return 'gone';
  }
}
