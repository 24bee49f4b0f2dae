// Run host commands for the local provider: argv arrays only (no shell), stderr kept for
// errors, and a time limit on every command. A command that outlives its limit is killed
// with everything it started (it runs in its own process group), and fails with a message
// naming it, so a hung lxc-start or iptables fails its node instead of the whole run.
import { spawn } from 'node:child_process';
import { CancelledError, ProviderError } from '../../errors.ts';
import { tail } from '../../text.ts';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string;
  /** Resolve with the exit code instead of throwing when the command fails. */
  allowFail?: boolean;
  signal?: AbortSignal;
  /** This call's time limit, ms, instead of the command's. */
  timeoutMs?: number;
  /** Each stderr chunk as it arrives (apt's lock messages). */
  onStderr?: (text: string) => void;
  /** More environment variables for this command. */
  env?: Record<string, string>;
}

export type Run = (cmd: string, args: string[], opts?: RunOptions) => Promise<RunResult>;

export interface Runner {
  run: Run;
  /** True when the command exits 0. */
  succeeds(cmd: string, args: string[]): Promise<boolean>;
  /** The time limit of a command, ms. */
  limit(cmd: string): number;
}

const MINUTE = 60_000;

/**
 * Time limits by command, ms. Image builds and apt (which may wait for another apt's lock)
 * get long ones; removing a big node's files gets a few minutes; everything else (lxc-*,
 * iptables, ip, umount...) returns in seconds when healthy, so two minutes means hung.
 */
export const DEFAULT_TIMEOUTS: Readonly<Record<string, number>> = {
  debootstrap: 30 * MINUTE,
  chroot: 30 * MINUTE,
  'apt-get': 30 * MINUTE,
  rm: 10 * MINUTE,
  default: 2 * MINUTE,
};

/** After SIGTERM on expiry, how long a command gets before SIGKILL. */
const GRACE_MS = 5_000;

/** System directories appended to the caller's PATH (sbin tools when forklift is not run from a root shell). */
const SYSTEM_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

function searchPath(): string {
  const own = (process.env.PATH ?? '').split(':').filter(Boolean);
  return [...own, ...SYSTEM_PATH.filter((d) => !own.includes(d))].join(':');
}

export function createRunner(overrides: Readonly<Record<string, number>> = {}): Runner {
  const limits = { ...DEFAULT_TIMEOUTS, ...overrides };
  const limit = (cmd: string) => limits[cmd] ?? limits.default ?? DEFAULT_TIMEOUTS.default!;
  const run: Run = (cmd, args, opts = {}) => runCommand(cmd, args, opts, opts.timeoutMs ?? limit(cmd));
  return {
    run,
    limit,
    succeeds: async (cmd, args) => (await run(cmd, args, { allowFail: true })).code === 0,
  };
}

/** Process groups of commands still running: stopped when this process exits (a second Ctrl-C). */
const live = new Set<number>();
let exitHook = false;

function stopLiveOnExit(): void {
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    for (const pid of live) {
      try {
        process.kill(-pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
  });
}

function runCommand(cmd: string, args: string[], opts: RunOptions, timeoutMs: number): Promise<RunResult> {
  const line = [cmd, ...args].join(' ');
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) return reject(new CancelledError());
    const child = spawn(cmd, args, {
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      env: { ...process.env, PATH: searchPath(), LC_ALL: 'C', DEBIAN_FRONTEND: 'noninteractive', ...opts.env },
      // Its own process group, so that expiry kills what it started too (debootstrap, dpkg, sleep in a hung script).
      detached: true,
    });
    stopLiveOnExit();
    if (child.pid) live.add(child.pid);
    let stdout = '';
    let stderr = '';
    let stopped: 'timeout' | 'cancelled' | undefined;
    const kill = (sig: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, sig);
      } catch {
        // already gone
      }
    };
    const stop = (why: 'timeout' | 'cancelled') => {
      if (stopped) return;
      stopped = why;
      kill('SIGTERM');
      setTimeout(() => kill('SIGKILL'), GRACE_MS).unref();
    };
    const timer = setTimeout(() => stop('timeout'), timeoutMs);
    const onAbort = () => stop('cancelled');
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      opts.onStderr?.(d);
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      if (child.pid) live.delete(child.pid);
      reject(new ProviderError('local', `${cmd}: ${err.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (child.pid) live.delete(child.pid);
      opts.signal?.removeEventListener('abort', onAbort);
      // Whatever the command left in its group goes with it.
      if (stopped) kill('SIGKILL');
      if (stopped === 'cancelled') return reject(new CancelledError());
      if (stopped === 'timeout') {
        const said = tail(stderr || stdout, 3);
        return reject(new ProviderError('local', `${line} did not finish in ${seconds(timeoutMs)} and was killed${said ? `: ${said}` : ''}`));
      }
      const result = { code: code ?? -1, stdout, stderr };
      if (result.code === 0 || opts.allowFail) resolve(result);
      else reject(new ProviderError('local', `${line} exited with ${result.code}: ${tail(stderr || stdout, 5)}`));
    });
    if (child.stdin) {
      child.stdin.on('error', () => {}); // a command that exits without reading its input
      child.stdin.end(opts.input);
    }
  });
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
