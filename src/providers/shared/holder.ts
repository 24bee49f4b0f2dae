// Who holds a stack's operator lock, as text another operator reads
// ("forklift converge (pid 4242 on ci-runner-3, since 2026-01-02T03:04:05.000Z)"), and
// whether that holder is known to be gone: it ran on this host during this boot (two
// machines may share a host name, never a boot id), and no process with its pid has run
// since it took the lock. Any other holder is never known to be gone.
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { LockHolder } from '../types.ts';

export function describeHolder(h: LockHolder): string {
  return `forklift ${h.operation} (pid ${h.pid} on ${h.host}, since ${h.since})`;
}

const DESCRIBED = /^forklift (\S+) \(pid (\d+) on (\S+), since (\S+)\)/;

/** A holder and the boot it ran in, as a lock records it. */
export interface RecordedHolder extends LockHolder {
  /** The first 8 hex digits of the kernel's boot id (/proc/sys/kernel/random/boot_id). */
  boot?: string;
}

/** This boot's id (8 hex digits), or undefined where the kernel does not say. */
export function bootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').replace(/-/g, '').slice(0, 8) || undefined;
  } catch {
    return undefined;
  }
}

/** The holder a description written by describeHolder names, with the boot noted after it as ", boot <id>" (undefined for any other text). */
export function parseHolder(text: string): RecordedHolder | undefined {
  const m = DESCRIBED.exec(text);
  if (!m) return undefined;
  const boot = /, boot ([0-9a-f]{8})\]$/.exec(text)?.[1];
  return { operation: m[1]!, pid: Number(m[2]), host: m[3]!, since: m[4]!, ...(boot ? { boot } : {}) };
}

/** True only when the holder ran on this host in this boot and its process has ended (a pid reused since does not count as it). */
export function holderIsGone(h: RecordedHolder): boolean {
  if (h.host !== hostname() || !h.boot || h.boot !== bootId() || !existsSync('/proc/self/stat')) return false;
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
