// Child processes measured as a controller's cost: wall time and the peak of the summed RSS
// of the child and all its descendants (sampled from /proc every 200 ms: the floor's ssh
// processes and Ansible's forks count, as forklift's one process and its esbuild service do).
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface Measured {
  code: number;
  ms: number;
  stdout: string;
  stderr: string;
  /** Peak summed RSS of the process tree, MiB. */
  peakMiB: number;
}

const PAGE = 4096;

function table(): Map<number, { ppid: number; rss: number }> {
  const t = new Map<number, { ppid: number; rss: number }>();
  for (const d of readdirSync('/proc')) {
    if (d.charCodeAt(0) > 57) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'latin1');
      // pid (comm) state ppid ... ; comm may hold spaces: split after the last ')'.
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      t.set(Number(d), { ppid: Number(f[1]), rss: Number(f[21]) * PAGE });
    } catch {
      /* gone */
    }
  }
  return t;
}

/** Summed RSS of the trees rooted at `roots`, bytes. */
export function treeRss(roots: number[]): number {
  const t = table();
  const children = new Map<number, number[]>();
  for (const [pid, p] of t) (children.get(p.ppid) ?? children.set(p.ppid, []).get(p.ppid)!).push(pid);
  let sum = 0;
  const stack = [...roots];
  const seen = new Set<number>();
  while (stack.length) {
    const pid = stack.pop()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    sum += t.get(pid)?.rss ?? 0;
    stack.push(...(children.get(pid) ?? []));
  }
  return sum;
}

/** Sample the summed RSS of the trees `roots()` names until stopped; returns the peak in MiB. */
export function rssSampler(roots: () => number[], everyMs = 200): { stop(): number } {
  let peak = 0;
  const sample = () => {
    const r = roots();
    if (r.length) peak = Math.max(peak, treeRss(r));
  };
  const timer = setInterval(sample, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return peak / 2 ** 20;
    },
  };
}

/** The commands running now, so that a bench stopped by a signal stops them too (killRunning). */
const running = new Set<ChildProcess>();
const track = (child: ChildProcess) => {
  running.add(child);
  child.once('close', () => running.delete(child));
  child.once('error', () => running.delete(child));
};

/** Stop every command measured() or measuredAll() still runs (a bench's teardown: nothing outlives it). */
export function killRunning(): void {
  for (const child of running) child.kill('SIGTERM');
}

/** Run one command, its tree's RSS sampled. */
export function measured(cmd: string, argv: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<Measured> {
  return new Promise((done) => {
    const t0 = performance.now();
    const child = spawn(cmd, argv, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    track(child);
    const sampler = rssSampler(() => (child.pid ? [child.pid] : []));
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    if (opts.input !== undefined) child.stdin!.end(opts.input);
    child.on('error', (e) => done({ code: 127, ms: performance.now() - t0, stdout, stderr: `${stderr}${e.message}\n`, peakMiB: sampler.stop() }));
    child.on('close', (code) => done({ code: code ?? 1, ms: performance.now() - t0, stdout, stderr, peakMiB: sampler.stop() }));
  });
}

/** Many commands at once (the floor): wall time until the last ends, peak summed RSS of all. */
export async function measuredAll(jobs: { cmd: string; argv: string[]; input?: string }[]): Promise<{ ms: number; peakMiB: number; results: Omit<Measured, 'peakMiB'>[] }> {
  const t0 = performance.now();
  const pids: number[] = [];
  const sampler = rssSampler(() => pids);
  const results = await Promise.all(
    jobs.map(
      (j) =>
        new Promise<Omit<Measured, 'peakMiB'>>((done) => {
          const s0 = performance.now();
          const child = spawn(j.cmd, j.argv, { stdio: [j.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
          track(child);
          if (child.pid) pids.push(child.pid);
          let stdout = '';
          let stderr = '';
          child.stdout!.on('data', (d) => (stdout += d));
          child.stderr!.on('data', (d) => (stderr += d));
          if (j.input !== undefined) child.stdin!.end(j.input);
          child.on('error', (e) => done({ code: 127, ms: performance.now() - s0, stdout, stderr: e.message }));
          child.on('close', (code) => {
            const k = pids.indexOf(child.pid!);
            if (k >= 0) pids.splice(k, 1);
            done({ code: code ?? 1, ms: performance.now() - s0, stdout, stderr });
          });
        }),
    ),
  );
  return { ms: performance.now() - t0, peakMiB: sampler.stop(), results };
}
