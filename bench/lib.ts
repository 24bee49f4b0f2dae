// Helpers shared by the benchmarks (bench/webfarm.ts, bench/ansible.ts, bench/scale.ts):
// child processes with timed stderr lines, ssh, polling the lb, a markdown table of
// samples, clean-up on failure / Ctrl-C, and the lb=1 web=4 farm made with the local
// provider exactly as the floor makes it.
import { spawn } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { renderConfig } from '../src/crates/haproxy.ts';
import { createProvider } from '../src/providers/local/index.ts';
import type { NodeInfo } from '../src/providers/types.ts';
import { httpGet } from '../test/e2e/helpers.ts';

export const ROOT = resolve(import.meta.dirname, '..');
export const BIN = join(ROOT, 'bin/forklift.js');
export const KEY = '/var/lib/forklift/ssh/id_ed25519';

export const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);

// ---------- cleanup: every stack made is destroyed, also on failure / Ctrl-C ----------
export const cleanups = new Map<string, () => Promise<void>>();
export async function cleanupAll(): Promise<void> {
  for (const [name, fn] of [...cleanups]) {
    try {
      await fn();
    } catch (e) {
      log(`cleanup ${name} failed: ${(e as Error).message}`);
    }
    cleanups.delete(name);
  }
}
let signalsHooked = false;
export function cleanupOnSignals(): void {
  if (signalsHooked) return;
  signalsHooked = true;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      log(`${sig}: cleaning up`);
      void cleanupAll().finally(() => process.exit(130));
    });
  }
}

// ---------- process helpers ----------
export interface Run {
  code: number;
  ms: number;
  stdout: string;
  stderr: string;
  /** stderr lines with ms since spawn. */
  lines: { t: number; line: string }[];
}

export function run(cmd: string, argv: string[], opts: { cwd?: string; input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  return new Promise((done) => {
    const t0 = performance.now();
    const child = spawn(cmd, argv, { cwd: opts.cwd ?? ROOT, env: opts.env ?? process.env, stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let partial = '';
    const lines: Run['lines'] = [];
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d: Buffer) => {
      const t = performance.now() - t0;
      stderr += d;
      partial += d;
      const parts = partial.split('\n');
      partial = parts.pop()!;
      for (const line of parts) lines.push({ t, line });
    });
    if (opts.input !== undefined) child.stdin!.end(opts.input);
    child.on('error', (e) => done({ code: 127, ms: performance.now() - t0, stdout, stderr: `${stderr}${e.message}\n`, lines }));
    child.on('close', (code) => done({ code: code ?? 1, ms: performance.now() - t0, stdout, stderr, lines }));
  });
}

export const SSH_OPTS = ['-i', KEY, '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', '-o', 'BatchMode=yes', '-o', 'ControlMaster=no', '-o', 'ControlPath=none'];
/** One ssh process, the script on stdin, run by /bin/sh on the node. */
export const sshScript = (address: string, script: string) => run('ssh', [...SSH_OPTS, `root@${address}`, 'sh -s'], { input: script });


/** Poll the lb until 8 successive requests come from all `webs`; ms spent waiting (throws after 60 s). */
export async function untilServing(lb: string, webs: string[]): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < 60_000) {
    const seen = new Set<string>();
    try {
      for (let i = 0; i < 2 * webs.length; i++) {
        const m = /served by (\S+)</.exec(await httpGet(lb, 80, 2000));
        if (m) seen.add(m[1]!);
      }
      if (webs.every((w) => seen.has(w))) return performance.now() - t0;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`lb ${lb} not serving all of ${webs.join(' ')} after 60 s`);
}

// ---------- statistics / table ----------
const samples = new Map<string, number[]>();
const order: string[] = [];
export function record(key: string, ms: number): void {
  if (!samples.has(key)) (samples.set(key, []), order.push(key));
  samples.get(key)!.push(ms);
}
export const recorded = () => order.length > 0;

/** Run a bench's main: on failure, remove what it made and print what it measured so far. */
export function runBench(main: () => Promise<void>): void {
  main().catch(async (err) => {
    console.error(err);
    await cleanupAll();
    if (recorded()) console.log(markdown());
    process.exit(1);
  });
}
const s = (ms: number) => (ms / 1000).toFixed(ms < 10_000 ? 2 : 1);
function stats(v: number[]): { med: number; min: number; max: number } {
  const a = [...v].sort((x, y) => x - y);
  const med = a.length % 2 ? a[(a.length - 1) / 2]! : (a[a.length / 2 - 1]! + a[a.length / 2]!) / 2;
  return { med, min: a[0]!, max: a[a.length - 1]! };
}
export function markdown(): string {
  const rows = ['| measurement | runs | median s | min s | max s |', '|---|---|---|---|---|'];
  for (const k of order) {
    const v = samples.get(k)!;
    const { med, min, max } = stats(v);
    rows.push(`| ${k} | ${v.length} | ${s(med)} | ${s(min)} | ${s(max)} |`);
  }
  return rows.join('\n');
}
export const machineLine = (loadStart?: number[]) => {
  const load = (l: number[]) => l.map((x) => x.toFixed(1)).join(' ');
  return `${cpus().length} cores (${cpus()[0]?.model.trim() ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}; ${loadStart ? `load average at start ${load(loadStart)}, ` : ''}at end ${load(loadavg())}`;
};

// ---------- the farm: lb=1 web=4 made with the local provider (floor and Ansible) ----------
export interface Farm {
  nodes: NodeInfo[];
  lb: NodeInfo;
  /** Sorted by name. */
  webs: NodeInfo[];
  /** ms to create all 5 nodes in parallel. */
  createMs: number;
}

/**
 * Create lb-0 and web-0..3 in parallel in a unique `stack` (inbound 22/80/443, like
 * examples/webfarm). The stack is registered for clean-up before the first node exists;
 * call `destroyFarm(stack)` in a finally.
 */
export async function createFarm(stack: string): Promise<Farm> {
  const provider = createProvider({}, { log: (m) => log(m) });
  cleanups.set(stack, async () => {
    const left = await provider.listNodes(stack);
    await Promise.all(left.map((n) => provider.destroyNode(n)));
  });
  const spec = { network: { inboundPorts: [22, 80, 443] } };
  const wanted = [{ group: 'lb', name: 'lb-0' }, ...[0, 1, 2, 3].map((k) => ({ group: 'web', name: `web-${k}` }))];
  const t0 = performance.now();
  // allSettled: on a failure every creation has ended before the caller destroys the stack.
  const settled = await Promise.allSettled(wanted.map((w) => provider.createNode({ stack, group: w.group, name: w.name, nodeSpec: spec as never, tags: {} })));
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  const nodes = settled.map((r) => (r as PromiseFulfilledResult<NodeInfo>).value);
  const createMs = performance.now() - t0;
  const lb = nodes.find((n) => n.group === 'lb')!;
  const webs = nodes.filter((n) => n.group === 'web').sort((a, b) => a.name.localeCompare(b.name));
  return { nodes, lb, webs, createMs };
}

export async function destroyFarm(stack: string): Promise<void> {
  const fn = cleanups.get(stack);
  cleanups.delete(stack);
  if (fn) await fn();
}

/** The haproxy.cfg text forklift renders for examples/webfarm's lb (backend `web`, port 80). */
export const farmHaproxyConfig = (webs: NodeInfo[]) =>
  renderConfig('web', { servers: [], port: 80, listenPort: 80, mode: 'http', balance: 'roundrobin' }, webs.map((w) => ({ id: w.id, name: w.name, address: w.address, group: w.group, roles: ['web'] })));
