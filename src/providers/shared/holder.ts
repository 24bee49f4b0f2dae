// Who holds a stack's operator lock, as text another operator reads
// ("forklift converge (pid 4242 on ci-runner-3, since 2026-01-02T03:04:05.000Z)"), and
// whether that holder is known to be gone: on this host, no process with its pid has
// run since it took the lock. A holder on another host is never known to be gone.
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { LockHolder } from '../types.ts';

export function describeHolder(h: LockHolder): string {
  return `forklift ${h.operation} (pid ${h.pid} on ${h.host}, since ${h.since})`;
}

const DESCRIBED = /^forklift (\S+) \(pid (\d+) on (\S+), since (\S+)\)/;

/** The holder a description written by describeHolder names (undefined for any other text). */
export function parseHolder(text: string): LockHolder | undefined {
  const m = DESCRIBED.exec(text);
  return m ? { operation: m[1]!, pid: Number(m[2]), host: m[3]!, since: m[4]! } : undefined;
}

/** True only when the holder was on this host and its process has ended (a pid reused since does not count as it). */
export function holderIsGone(h: LockHolder): boolean {
  if (h.host !== hostname() || !existsSync('/proc/self/stat')) return false;
  if (h.pid === process.pid) return false;
  const started = processStart(h.pid);
  if (started === undefined) return true;
  const since = Date.parse(h.since);
  // A process that started after the lock was taken is another one with the same pid.
  return Number.isFinite(since) && started > since + 2_000;
}

/** When a process started (ms since the epoch), from /proc; undefined when it has ended. */
function processStart(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Fields after the command (which may hold spaces) start at ") "; starttime is field 22.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (fields[0] === 'Z') return undefined; // ended, not yet reaped
  const ticks = Number(fields[19]);
  const boot = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);
  // USER_HZ is 100 on every Linux architecture forklift runs on.
  return (boot + ticks / 100) * 1000;
}
