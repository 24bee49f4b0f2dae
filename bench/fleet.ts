// Fleet bench: N lightweight SSH hosts (bench/fleet-hosts.ts: netns + veth + sshd each)
// driven by forklift's hosts provider with a 4-action plan (bench/fleet-plan.ts), against
// the floor (one OpenSSH `ssh` per host at once running the same checks as one script) and
// Ansible (N ≤ --ansible-max). Per size, alternating: forklift's first run (converge) and
// Ansible's, then --runs rounds of forklift's no-op lift, the floor, Ansible's no-op (and
// the --variant, when given). Wall time, the controller's peak RSS (the process tree,
// summed), and SSH connections and exec calls per host per run as the hosts' sshd logged
// them. Prints a markdown table on stdout; progress on stderr.
//
//   npx tsx bench/fleet.ts [50,200,500] [--runs 3] [--no-ansible] [--ansible-max 200] [--forks 50]
//       [--concurrency N]                 forklift's --concurrency (default: forklift's own)
//       [--variant LABEL --variant-env K=V ... --variant-arg ARG ...]
//                                         one more no-op column: forklift with that env/args,
//                                         run once untimed first (e.g. kept sessions)
//       [--forklift PATH/bin/forklift.js] another build's CLI (default this checkout's)
//       [--login-rc]                      keep root's ~/.bashrc on the hosts (masked by default, see fleet-hosts.ts)
//   npx tsx bench/fleet.ts --make N       make N hosts, print the fleet (JSON), keep them until Ctrl-C
//   npx tsx bench/fleet.ts --remove ID    remove a fleet a killed bench left (.tmp/fleet/ID)
//
// The fleet is removed at the end, on failure and on Ctrl-C/SIGTERM.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { countSince, cpuMs, FLEET_ROOT, hostsCpuMs, logMarks, makeFleet, removeFleet, type Fleet, type FleetHost } from './fleet-hosts.ts';
import { ansibleProject, floorCheck, forkliftStack } from './fleet-plan.ts';
import { killRunning, measured, measuredAll, type Measured } from './proc-tree.ts';

const ROOT = resolve(import.meta.dirname, '..');
const log = (m: string) => process.stderr.write(`[fleet ${new Date().toISOString().slice(11, 19)}] ${m}\n`);

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    runs: { type: 'string', default: '3' },
    'no-ansible': { type: 'boolean', default: false },
    'ansible-max': { type: 'string', default: '200' },
    forks: { type: 'string', default: '50' },
    concurrency: { type: 'string' },
    variant: { type: 'string' },
    'variant-env': { type: 'string', multiple: true, default: [] },
    'variant-arg': { type: 'string', multiple: true, default: [] },
    make: { type: 'string' },
    'login-rc': { type: 'boolean', default: false },
    remove: { type: 'string' },
    out: { type: 'string', default: join(ROOT, '.tmp', 'fleet-out') },
    forklift: { type: 'string', default: join(ROOT, 'bin/forklift.js') },
  },
});

let fleet: Fleet | undefined;
let removing: Promise<void> | undefined;
const teardown = () => (removing ??= (killRunning(), fleet ? (log(`removing fleet ${fleet.id}`), removeFleet(fleet.id)) : Promise.resolve()));
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => void teardown().finally(() => process.exit(130)));

if (args.remove) {
  await removeFleet(args.remove);
  log(`removed fleet ${args.remove}`);
  process.exit(0);
}
if (args.make) {
  fleet = await makeFleet(Number(args.make), { log, loginRc: args['login-rc'] });
  console.log(JSON.stringify(fleet, null, 1));
  log(`fleet ${fleet.id} kept until Ctrl-C (or: npx tsx bench/fleet.ts --remove ${fleet.id})`);
  setInterval(() => undefined, 60_000); // kept alive until a signal
  await new Promise(() => undefined);
}

const BIN = resolve(args.forklift);
const SIZES = (positionals[0] ?? '50,200,500').split(',').map(Number);
const RUNS = Number(args.runs);
const ANSIBLE_MAX = args['no-ansible'] ? 0 : Number(args['ansible-max']);
const FORKS = Number(args.forks);
const CONCURRENCY = args.concurrency ? ['--concurrency', args.concurrency] : [];
const SSH = ['-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', '-o', 'BatchMode=yes', '-o', 'ControlMaster=no', '-o', 'ControlPath=none'];

interface Sample {
  ms: number;
  peakMiB: number;
  conns: number[];
  execs: number[];
  load: number;
  /** CPU ms of the controller's processes for this run (reaped children of this bench). */
  ctlCpu: number;
  /** CPU ms on the hosts' side (sshd and all it forked), summed over hosts. */
  hostCpu: number;
  lines?: number;
}
const samples = new Map<string, Sample[]>();
const floorOf = new Map<number, string>();
function record(key: string, s: Sample): void {
  (samples.get(key) ?? samples.set(key, []).get(key)!).push(s);
}

/** Run `fn` with the hosts' logs marked before and counted after. */
async function counted<T extends { ms: number; peakMiB: number }>(hosts: FleetHost[], fn: () => Promise<T>): Promise<{ r: T; s: Sample }> {
  const marks = logMarks(fleet!);
  const load = loadavg()[0]!;
  const ctl0 = cpuMs(process.pid) - ownCpuMs();
  const host0 = hostsCpuMs(hosts);
  const r = await fn();
  await new Promise((ok) => setTimeout(ok, 300)); // sshd writes its last lines as sessions close
  const counts = countSince(fleet!, marks).slice(0, hosts.length);
  const ctlCpu = cpuMs(process.pid) - ownCpuMs() - ctl0;
  const hostCpu = hostsCpuMs(hosts) - host0;
  return { r, s: { ms: r.ms, peakMiB: r.peakMiB, conns: counts.map((c) => c.connections), execs: counts.map((c) => c.execs), load, ctlCpu, hostCpu } };
}

/** This process's own CPU ms (not its children's). */
const ownCpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

function forklift(dir: string, argv: string[], env: Record<string, string> = {}): Promise<Measured> {
  return measured('node', [BIN, ...argv, ...CONCURRENCY], { cwd: dir, env: { ...process.env, ...env, NO_COLOR: '1' } });
}

function checkResult(what: string, r: Measured, changed: (n: number) => boolean): void {
  let parsed: { changed?: number; failed?: number; nodes?: unknown[] } = {};
  try {
    parsed = JSON.parse(r.stdout) as typeof parsed;
  } catch {
    /* below */
  }
  if (r.code !== 0 || !changed(parsed.changed ?? -1)) throw new Error(`${what}: exit ${r.code}, changed ${parsed.changed}:\n${r.stderr.slice(-3000)}`);
}

async function ansible(dir: string, hosts: number, run: number): Promise<Measured & { changed: number }> {
  const cp = join(dir, `cp${run}`);
  mkdirSync(cp, { recursive: true });
  const env = { ...process.env, ANSIBLE_CONFIG: join(dir, 'ansible.cfg'), ANSIBLE_SSH_CONTROL_PATH_DIR: cp, ANSIBLE_INVENTORY: join(dir, 'inventory.yml') };
  const r = await measured('ansible-playbook', ['site.yml'], { cwd: dir, env });
  const recap = [...r.stdout.matchAll(/^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/gm)];
  if (r.code !== 0 || recap.length !== hosts) throw new Error(`ansible-playbook exited ${r.code} with ${recap.length} recaps:\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-1000)}`);
  return { ...r, changed: recap.reduce((n, m) => n + Number(m[3]), 0) };
}

async function floor(hosts: FleetHost[], stack: string): Promise<{ ms: number; peakMiB: number }> {
  const all = await measuredAll(hosts.map((h) => ({ cmd: 'ssh', argv: ['-i', fleet!.key, ...SSH, `root@${h.address}`, 'sh -s'], input: floorCheck(h, stack) })));
  const bad = all.results.findIndex((c) => c.code !== 0);
  if (bad >= 0) throw new Error(`floor check failed on ${hosts[bad]!.name}: exit ${all.results[bad]!.code}: ${all.results[bad]!.stderr}`);
  return all;
}

async function size(n: number): Promise<void> {
  const hosts = fleet!.hosts.slice(0, n);
  const stack = `fl${fleet!.id}n${n}`;
  const dir = join(fleet!.dir, 'stacks', stack);
  forkliftStack(dir, stack, fleet!, hosts);
  const progress = (what: string, text: string) => writeFileSync(join(args.out, `${stack}-${what}.txt`), text);

  log(`${n} hosts: forklift converge (first run)`);
  const first = await counted(hosts, () => forklift(dir, ['converge', '--json', `host=${n}`]));
  checkResult('forklift first run', first.r, (c) => c === 4 * n);
  progress('first', first.r.stderr);
  record(`${n}|forklift first run (converge)`, { ...first.s, lines: first.r.stderr.split('\n').length - 1 });

  const withAnsible = n <= ANSIBLE_MAX;
  const astack = `an${fleet!.id}n${n}`;
  const adir = join(fleet!.dir, 'stacks', astack);
  if (withAnsible) {
    ansibleProject(adir, astack, fleet!, hosts, Math.min(FORKS, n));
    log(`${n} hosts: Ansible first run (forks ${Math.min(FORKS, n)})`);
    const a = await counted(hosts, () => ansible(adir, n, 0));
    if (a.r.changed !== 4 * n) throw new Error(`Ansible first run changed ${a.r.changed}, not ${4 * n}`);
    record(`${n}|Ansible first run`, a.s);
  }
  const variantEnv = Object.fromEntries(args['variant-env'].map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  if (args.variant) {
    // A daemon left by an earlier bench (another build) must not serve this one.
    await stopSessions(variantEnv);
    log(`${n} hosts: ${args.variant}: one untimed no-op first`);
    const warm = await forklift(dir, ['lift', '--json', ...args['variant-arg']], variantEnv);
    checkResult(`${args.variant} warm-up`, warm, (c) => c === 0);
    // A variant that silently fell back to direct connections would measure the wrong thing.
    const fellBack = /kept sessions unavailable.*/.exec(warm.stderr);
    if (fellBack) throw new Error(`${args.variant}: ${fellBack[0]}`);
  }
  floorOf.set(n, `${n}|floor: one ssh per host at once, same checks`);
  for (let i = 0; i < RUNS; i++) {
    log(`${n} hosts: round ${i + 1}/${RUNS}: forklift no-op lift`);
    const lift = await counted(hosts, () => forklift(dir, ['lift', '--json']));
    checkResult('forklift no-op lift', lift.r, (c) => c === 0);
    if (i === 0) progress('noop', lift.r.stderr);
    record(`${n}|forklift no-op lift`, { ...lift.s, lines: lift.r.stderr.split('\n').length - 1 });

    log(`${n} hosts: round ${i + 1}/${RUNS}: floor`);
    record(floorOf.get(n)!, (await counted(hosts, () => floor(hosts, stack))).s);

    if (withAnsible) {
      log(`${n} hosts: round ${i + 1}/${RUNS}: Ansible no-op`);
      const a = await counted(hosts, () => ansible(adir, n, i + 1));
      if (a.r.changed !== 0) throw new Error(`Ansible no-op changed ${a.r.changed}`);
      record(`${n}|Ansible no-op`, a.s);
    }
    if (args.variant) {
      log(`${n} hosts: round ${i + 1}/${RUNS}: ${args.variant}`);
      const v = await counted(hosts, () => forklift(dir, ['lift', '--json', ...args['variant-arg']], variantEnv));
      checkResult(args.variant, v.r, (c) => c === 0);
      record(`${n}|forklift no-op lift, ${args.variant}`, v.s);
    }
  }
  if (args.variant) await stopSessions(variantEnv);
}

/** Stop the kept-sessions daemon a variant's env names (FORKLIFT_SESSIONS_DIR), if it runs one. */
async function stopSessions(env: Record<string, string>): Promise<void> {
  if (!env['FORKLIFT_SESSIONS_DIR']) return;
  const r = await measured('node', [BIN, 'sessions', 'stop'], { cwd: ROOT, env: { ...process.env, ...env, NO_COLOR: '1' } });
  if (r.code !== 0) throw new Error(`forklift sessions stop: exit ${r.code}: ${r.stderr}`);
}

const median = (xs: number[]) => {
  const a = [...xs].sort((x, y) => x - y);
  return a.length % 2 ? a[(a.length - 1) / 2]! : (a[a.length / 2 - 1]! + a[a.length / 2]!) / 2;
};
const sec = (ms: number) => (ms / 1000).toFixed(ms < 10_000 ? 2 : 1);
/** "1" when every host counted the same, else min–max (mean). */
function perHost(xs: number[]): string {
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  return lo === hi ? String(lo) : `${lo}–${hi} (${(xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(2)})`;
}

function table(): string {
  const rows = ['| hosts | measurement | runs | wall s median (min–max) | × floor | peak RSS MiB | conns/host/run | execs/host/run | controller CPU s | host-side CPU s | load 1m | stderr lines |', '|---|---|---|---|---|---|---|---|---|---|---|---|'];
  for (const [key, ss] of samples) {
    const [n, label] = key.split('|') as [string, string];
    const floorSamples = samples.get(floorOf.get(Number(n)) ?? '');
    const ms = ss.map((s) => s.ms);
    const ratio = floorSamples && !label.startsWith('floor') && !label.includes('first run') ? (median(ms) / median(floorSamples.map((s) => s.ms))).toFixed(2) : '';
    const range = ss.length > 1 ? ` (${sec(Math.min(...ms))}–${sec(Math.max(...ms))})` : '';
    const lines = ss.every((s) => s.lines !== undefined) ? String(median(ss.map((s) => s.lines!))) : '';
    rows.push(`| ${n} | ${label} | ${ss.length} | ${sec(median(ms))}${range} | ${ratio} | ${Math.max(...ss.map((s) => s.peakMiB)).toFixed(0)} | ${perHost(ss.flatMap((s) => s.conns))} | ${perHost(ss.flatMap((s) => s.execs))} | ${sec(median(ss.map((s) => s.ctlCpu)))} | ${sec(median(ss.map((s) => s.hostCpu)))} | ${median(ss.map((s) => s.load)).toFixed(1)} | ${lines} |`);
  }
  return rows.join('\n');
}

const loadStart = loadavg();
const started = new Date().toISOString();
mkdirSync(args.out, { recursive: true });
try {
  const max = Math.max(...SIZES);
  log(`making ${max} hosts`);
  const t0 = performance.now();
  fleet = await makeFleet(max, { log, loginRc: args['login-rc'] });
  log(`made in ${sec(performance.now() - t0)} s (under ${join(FLEET_ROOT, fleet.id)})`);
  for (const n of SIZES) await size(n);
} catch (e) {
  log(`failed: ${(e as Error).stack ?? String(e)}`);
  process.exitCode = 1;
} finally {
  await teardown();
}
const load = (l: number[]) => l.map((x) => x.toFixed(1)).join(' ');
console.log(`## fleet bench, ${started}\n`);
console.log(`\`npx tsx bench/fleet.ts ${process.argv.slice(2).join(' ')}\`; ${cpus().length} cores (${cpus()[0]?.model.trim() ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}; load average at start ${load(loadStart)}, at end ${load(loadavg())}; Ansible forks min(${FORKS}, hosts), pipelining on, ControlPersist 60s, no facts\n`);
console.log(table());
