// Web farm benchmark: forklift converge/lift (lb=1 web=4, real local LXC nodes) against the
// floor for the same work (one plain POSIX shell script per node over one `ssh`, all at once).
// Prints a markdown table (median, min, max over the runs). Every node made is destroyed,
// also on failure or Ctrl-C.
//   npx tsx bench/webfarm.ts [--runs N] [--skip-forklift] [--skip-floor]
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { renderConfig } from '../src/crates/haproxy.ts';
import { renderSite } from '../src/crates/nginx.ts';
import { createProvider } from '../src/providers/local/index.ts';
import type { NodeInfo } from '../src/providers/types.ts';

const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin/forklift.js');
const KEY = '/var/lib/forklift/ssh/id_ed25519';
const EXAMPLE = join(ROOT, 'examples/webfarm/forklift.config.ts');

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const runsArg = args.indexOf('--runs');
const RUNS = runsArg >= 0 ? Number(args[runsArg + 1]) : 3;
const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);

// ---------- cleanup: every stack made is destroyed, also on failure / Ctrl-C ----------
const cleanups = new Map<string, () => Promise<void>>();
async function cleanupAll(): Promise<void> {
  for (const [name, fn] of [...cleanups]) {
    try {
      await fn();
    } catch (e) {
      log(`cleanup ${name} failed: ${(e as Error).message}`);
    }
    cleanups.delete(name);
  }
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    log(`${sig}: cleaning up`);
    void cleanupAll().finally(() => process.exit(130));
  });
}

// ---------- process helpers ----------
interface Run {
  code: number;
  ms: number;
  stdout: string;
  stderr: string;
  /** stderr lines with ms since spawn. */
  lines: { t: number; line: string }[];
}

function run(cmd: string, argv: string[], opts: { cwd?: string; input?: string } = {}): Promise<Run> {
  return new Promise((done) => {
    const t0 = performance.now();
    const child = spawn(cmd, argv, { cwd: opts.cwd ?? ROOT, stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
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
    child.on('close', (code) => done({ code: code ?? 1, ms: performance.now() - t0, stdout, stderr, lines }));
  });
}

const SSH_OPTS = ['-i', KEY, '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', '-o', 'BatchMode=yes', '-o', 'ControlMaster=no', '-o', 'ControlPath=none'];
/** One ssh process, the script on stdin, run by /bin/sh on the node. */
const sshScript = (address: string, script: string) => run('ssh', [...SSH_OPTS, `root@${address}`, 'sh -s'], { input: script });

function httpGet(host: string, timeoutMs = 2000): Promise<string> {
  return new Promise((done, fail) => {
    const req = request({ host, port: 80, path: '/', agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => done(body));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', fail);
    req.end();
  });
}

/** Poll the lb until 8 successive requests come from all `webs`; ms spent waiting (throws after 60 s). */
async function untilServing(lb: string, webs: string[]): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < 60_000) {
    const seen = new Set<string>();
    try {
      for (let i = 0; i < 2 * webs.length; i++) {
        const m = /served by (\S+)</.exec(await httpGet(lb));
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
function record(key: string, ms: number): void {
  if (!samples.has(key)) (samples.set(key, []), order.push(key));
  samples.get(key)!.push(ms);
}
const s = (ms: number) => (ms / 1000).toFixed(ms < 10_000 ? 2 : 1);
function stats(v: number[]): { med: number; min: number; max: number } {
  const a = [...v].sort((x, y) => x - y);
  const med = a.length % 2 ? a[(a.length - 1) / 2]! : (a[a.length / 2 - 1]! + a[a.length / 2]!) / 2;
  return { med, min: a[0]!, max: a[a.length - 1]! };
}
function markdown(): string {
  const rows = ['| measurement | runs | median s | min s | max s |', '|---|---|---|---|---|'];
  for (const k of order) {
    const v = samples.get(k)!;
    const { med, min, max } = stats(v);
    rows.push(`| ${k} | ${v.length} | ${s(med)} | ${s(min)} | ${s(max)} |`);
  }
  return rows.join('\n');
}

// ---------- forklift ----------
function stackDir(stack: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'forklift-bench-'));
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  writeFileSync(join(dir, 'forklift.config.ts'), `import farm from '${EXAMPLE}';\nexport default { ...farm, stack: '${stack}' };\n`);
  return dir;
}

interface Listed {
  name: string;
  group: string;
  address: string;
}
function parseTable(stdout: string): Listed[] {
  return stdout
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((c) => c.length >= 4 && /^\d+\.\d+\.\d+\.\d+$/.test(c[2]!))
    .map((c) => ({ name: c[0]!, group: c[1]!, address: c[2]! }));
}

async function forkliftRound(i: number): Promise<void> {
  const stack = `bwf${process.pid}r${i}`;
  const dir = stackDir(stack);
  const destroyStack = async () => {
    const r = await run(process.execPath, [BIN, 'destroy', '-q'], { cwd: dir });
    if (r.code !== 0) log(`forklift destroy ${stack} exited ${r.code}: ${r.stderr.trim()}`);
    rmSync(dir, { recursive: true, force: true });
  };
  cleanups.set(stack, destroyStack);
  try {
    log(`forklift converge lb=1 web=4 (stack ${stack})`);
    const c = await run(process.execPath, [BIN, 'converge', 'lb=1', 'web=4'], { cwd: dir });
    if (c.code !== 0) throw new Error(`converge failed (${c.code}):\n${c.stdout}\n${c.stderr}`);
    const nodes = parseTable(c.stdout);
    const lb = nodes.find((n) => n.group === 'lb')!;
    const webs = nodes.filter((n) => n.group === 'web').map((n) => n.name);
    const extra = await untilServing(lb.address, webs);
    record('forklift converge lb=1 web=4, fresh → serving (CLI wall)', c.ms + extra);
    // Split by progress events (stderr line arrival times).
    const at = (re: RegExp) => c.lines.find((l) => re.test(l.line))?.t;
    const tBoot = at(/^» bootstrap/);
    const tConf = at(/^» configure/);
    const created = c.lines.filter((l) => /^\+ /.test(l.line));
    if (created.length && tConf !== undefined && tBoot !== undefined) {
      record('  ↳ start → all 5 nodes created (incl. CLI start, config load)', created[created.length - 1]!.t);
      record('  ↳ bootstrap phase', tConf - tBoot);
      record('  ↳ configure phase (→ CLI exit)', c.ms - tConf);
      const done = c.lines.filter((l) => /^ {2}✓ /.test(l.line) && l.t >= tConf);
      const webDone = done.filter((l) => / web-/.test(l.line)).map((l) => l.t);
      const lbDone = done.find((l) => / lb-/.test(l.line));
      if (webDone.length) record('  ↳ configure: last web done', Math.max(...webDone) - tConf);
      if (lbDone) record('  ↳ configure: lb done', lbDone.t - tConf);
    }
    if (extra > 200) log(`lb needed ${Math.round(extra)} ms more after converge exited to serve from all webs`);

    for (let j = 0; j < RUNS; j++) {
      const l = await run(process.execPath, [BIN, 'lift'], { cwd: dir });
      if (l.code !== 0 || !/0 changed actions/.test(l.stdout)) throw new Error(`lift not a no-op:\n${l.stdout}\n${l.stderr}`);
      record('forklift lift no-op (node bin/forklift.js)', l.ms);
      const n = await run('npx', ['forklift', 'lift', '-q', '-f', join(dir, 'forklift.config.ts')], { cwd: ROOT });
      if (n.code !== 0) throw new Error(`npx forklift lift failed:\n${n.stdout}\n${n.stderr}`);
      record('forklift lift no-op (npx forklift)', n.ms);
    }
    // Startup alone: the CLI's fixed cost (tsx, config load) with one provider listing.
    for (let j = 0; j < RUNS; j++) {
      const h = await run(process.execPath, [BIN, 'nodes'], { cwd: dir });
      if (h.code === 0) record('forklift nodes (startup + config + list, no SSH)', h.ms);
    }
  } finally {
    log(`destroy ${stack}`);
    const t = performance.now();
    await destroyStack();
    cleanups.delete(stack);
    record('forklift destroy (5 nodes)', performance.now() - t);
  }
}

// ---------- floor: local provider + one plain shell script per node ----------
const sha = (text: string) => createHash('sha256').update(text).digest('hex');
const q = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;
const writeFile = (path: string, content: string) => `printf '%s' ${q(content)} > ${path}.fl-tmp && mv ${path}.fl-tmp ${path}`;
const APT = 'DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends';

function webScript(name: string): { fresh: string; noop: string } {
  const site = renderSite('web', 80, '/var/www/web');
  const index = `<h1>served by ${name}</h1>\n`;
  return {
    fresh: `set -e
echo "FLT start $(date +%s%N)" >&2
apt-get update -q >/dev/null
echo "FLT update $(date +%s%N)" >&2
${APT} curl ca-certificates nginx >/dev/null
echo "FLT install $(date +%s%N)" >&2
mkdir -p /var/www/web
${writeFile('/etc/nginx/sites-available/web', site)}
${writeFile('/var/www/web/index.html', index)}
ln -sfn /etc/nginx/sites-available/web /etc/nginx/sites-enabled/web
rm -f /etc/nginx/sites-enabled/default
nginx -t -q
systemctl enable -q nginx
systemctl reload nginx || systemctl restart nginx
`,
    noop: `set -e
test "$(dpkg-query -W -f='\${Status}\\n' curl ca-certificates nginx | grep -c 'ok installed$')" = 3
printf '%s  %s\\n' ${sha(site)} /etc/nginx/sites-available/web ${sha(index)} /var/www/web/index.html | sha256sum -c --quiet
test "$(readlink /etc/nginx/sites-enabled/web)" = /etc/nginx/sites-available/web
test ! -e /etc/nginx/sites-enabled/default
test -d /var/www/web
systemctl is-enabled -q nginx
systemctl is-active -q nginx
`,
  };
}

function lbScript(webs: NodeInfo[]): { fresh: string; noop: string } {
  const cfg = renderConfig('web', { servers: [], port: 80, listenPort: 80, mode: 'http', balance: 'roundrobin' }, webs.map((w) => ({ id: w.id, name: w.name, address: w.address, group: w.group, roles: ['web'] })));
  return {
    fresh: `set -e
echo "FLT start $(date +%s%N)" >&2
apt-get update -q >/dev/null
echo "FLT update $(date +%s%N)" >&2
${APT} curl ca-certificates haproxy >/dev/null
echo "FLT install $(date +%s%N)" >&2
${writeFile('/etc/haproxy/haproxy.cfg', cfg)}
haproxy -c -q -f /etc/haproxy/haproxy.cfg
systemctl enable -q haproxy
systemctl reload haproxy || systemctl restart haproxy
`,
    noop: `set -e
test "$(dpkg-query -W -f='\${Status}\\n' curl ca-certificates haproxy | grep -c 'ok installed$')" = 3
printf '%s  %s\\n' ${sha(cfg)} /etc/haproxy/haproxy.cfg | sha256sum -c --quiet
systemctl is-enabled -q haproxy
systemctl is-active -q haproxy
`,
  };
}

async function floorRound(i: number): Promise<void> {
  const stack = `bfl${process.pid}r${i}`;
  const provider = createProvider({ log: (m) => log(m) });
  const destroyStack = async () => {
    const left = await provider.listNodes(stack);
    await Promise.all(left.map((n) => provider.destroyNode(n)));
  };
  cleanups.set(stack, destroyStack);
  try {
    const spec = { network: { inboundPorts: [22, 80, 443] } };
    const wanted = [{ group: 'lb', name: 'lb-0' }, ...[0, 1, 2, 3].map((k) => ({ group: 'web', name: `web-${k}` }))];
    log(`floor: create 5 nodes (stack ${stack})`);
    const t0 = performance.now();
    const nodes = await Promise.all(wanted.map((w) => provider.createNode({ stack, group: w.group, name: w.name, nodeSpec: spec as never, tags: {} })));
    const tCreate = performance.now() - t0;
    const lb = nodes.find((n) => n.group === 'lb')!;
    const webs = nodes.filter((n) => n.group === 'web').sort((a, b) => a.name.localeCompare(b.name));
    const scripts = new Map<NodeInfo, { fresh: string; noop: string }>([[lb, lbScript(webs)], ...webs.map((w) => [w, webScript(w.name)] as const)]);

    const t1 = performance.now();
    const results = await Promise.all(nodes.map((n) => sshScript(n.address, scripts.get(n)!.fresh)));
    const tSsh = performance.now() - t1;
    results.forEach((r, k) => {
      if (r.code !== 0) throw new Error(`floor script on ${nodes[k]!.name} exited ${r.code}: ${r.stderr}`);
    });
    // Where the script's time goes, from the markers it prints (node clock, same host).
    const marks = (r: Run) => Object.fromEntries([...r.stderr.matchAll(/^FLT (\w+) (\d+)$/gm)].map((m) => [m[1]!, Number(m[2]) / 1e6]));
    const phase = (who: string, pick: (k: number) => boolean) => {
      const ms = results.filter((_, k) => pick(k)).map(marks);
      record(`  ↳ ${who}: apt-get update`, Math.max(...ms.map((m) => m.update! - m.start!)));
      record(`  ↳ ${who}: apt-get install`, Math.max(...ms.map((m) => m.install! - m.update!)));
      record(`  ↳ ${who}: whole ssh`, Math.max(...results.filter((_, k) => pick(k)).map((r) => r.ms)));
    };
    const extra = await untilServing(lb.address, webs.map((w) => w.name));
    record('floor: create 5 nodes (local provider, parallel)', tCreate);
    record('floor: one shell script per node over one ssh, all at once', tSsh);
    phase('lb', (k) => nodes[k] === lb);
    phase('webs (slowest)', (k) => nodes[k] !== lb);
    record('floor: ssh scripts done → lb serving all 4 webs', extra);
    record('floor: total fresh → serving (create + ssh + wait)', tCreate + tSsh + extra);

    for (let j = 0; j < RUNS; j++) {
      const t2 = performance.now();
      const checks = await Promise.all(nodes.map((n) => sshScript(n.address, scripts.get(n)!.noop)));
      const ms = performance.now() - t2;
      checks.forEach((r, k) => {
        if (r.code !== 0) throw new Error(`floor no-op check on ${nodes[k]!.name} exited ${r.code}: ${r.stdout}${r.stderr}`);
      });
      record('floor: no-op checks, one ssh per node, all at once', ms);
    }
  } finally {
    log(`floor: destroy ${stack}`);
    await destroyStack();
    cleanups.delete(stack);
  }
}

async function main(): Promise<void> {
  const started = new Date();
  const loadStart = loadavg();
  try {
    for (let i = 0; i < RUNS; i++) {
      if (!flag('--skip-floor')) await floorRound(i);
      if (!flag('--skip-forklift')) await forkliftRound(i);
    }
  } finally {
    await cleanupAll();
  }
  const load = (l: number[]) => l.map((x) => x.toFixed(1)).join(' ');
  console.log(`## webfarm bench, ${started.toISOString()}, ${RUNS} run(s)\n`);
  console.log(`${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}; load average at start ${load(loadStart)}, at end ${load(loadavg())}\n`);
  console.log(markdown());
}

main().catch(async (err) => {
  console.error(err);
  await cleanupAll();
  if (order.length) console.log(markdown());
  process.exit(1);
});
