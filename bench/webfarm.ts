// Web farm benchmark: forklift converge/lift (lb=1 web=4, real local LXC nodes) against the
// floor for the same work (one plain POSIX shell script per node over one `ssh`, all at once).
// Prints a markdown table (median, min, max over the runs). Every node made is destroyed,
// also on failure or Ctrl-C.
//   npx tsx bench/webfarm.ts [--runs N] [--skip-forklift] [--skip-floor] [--with-ansible]
// --with-ansible adds the same work done by ansible-playbook (bench/ansible.ts); it needs
// `apt-get install -y ansible` first.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderSite } from '../src/crates/nginx.ts';
import type { NodeInfo } from '../src/providers/types.ts';
import { ansibleRound, requireAnsible } from './ansible.ts';
import { BIN, cleanupAll, cleanupOnSignals, cleanups, createFarm, destroyFarm, farmHaproxyConfig, log, machineLine, markdown, record, ROOT, run, runBench, sshScript, untilServing, type Run } from './lib.ts';

const EXAMPLE = join(ROOT, 'examples/webfarm/forklift.config.ts');

// forklift's rows connect directly, as before kept sessions; the kept-sessions row says so.
process.env['FORKLIFT_SESSIONS'] ??= 'off';
const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const runsArg = args.indexOf('--runs');
const RUNS = runsArg >= 0 ? Number(args[runsArg + 1]) : 3;
cleanupOnSignals();

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
    const r = await run(process.execPath, [BIN, 'destroy', '--yes', '-q'], { cwd: dir });
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

    // Kept sessions (the CLI's default; FORKLIFT_SESSIONS=off above): a daemon of this bench's own, warmed by one untimed lift, stopped at the end.
    const keptDir = mkdtempSync(join(tmpdir(), 'forklift-bench-sessions-'));
    const keptEnv = { ...process.env, FORKLIFT_SESSIONS: 'on', FORKLIFT_SESSIONS_DIR: join(keptDir, 'run') };
    await run(process.execPath, [BIN, 'lift', '-q'], { cwd: dir, env: keptEnv });
    for (let j = 0; j < RUNS; j++) {
      const k = await run(process.execPath, [BIN, 'lift'], { cwd: dir, env: keptEnv });
      if (k.code !== 0 || !/0 changed actions/.test(k.stdout)) throw new Error(`kept-sessions lift not a no-op:\n${k.stdout}\n${k.stderr}`);
      record('forklift lift no-op, kept sessions (node bin/forklift.js)', k.ms);
    }
    await run(process.execPath, [BIN, 'sessions', 'stop'], { cwd: dir, env: keptEnv });
    rmSync(keptDir, { recursive: true, force: true });
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
// Install only what is missing, as forklift's packages action and Ansible's apt
// (state: present) do: curl and ca-certificates are in the base image, and asking apt
// for them again would also upgrade them and their libraries to the newest versions.
// The timed package part of a fresh floor script: update, then install what is missing.
const freshPackages = (names: string) => `echo "FLT start $(date +%s%N)" >&2
apt-get update -q >/dev/null
echo "FLT update $(date +%s%N)" >&2
missing=; for p in ${names}; do dpkg-query -W -f='\${Status}' "$p" 2>/dev/null | grep -q 'ok installed$' || missing="$missing $p"; done
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing >/dev/null
echo "FLT install $(date +%s%N)" >&2`;

function webScript(name: string): { fresh: string; noop: string } {
  const site = renderSite('web', 80, '/var/www/web');
  const index = `<h1>served by ${name}</h1>\n`;
  return {
    fresh: `set -e
${freshPackages('curl ca-certificates nginx')}
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
  const cfg = farmHaproxyConfig(webs);
  return {
    fresh: `set -e
${freshPackages('curl ca-certificates haproxy')}
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
  try {
    log(`floor: create 5 nodes (stack ${stack})`);
    const { nodes, lb, webs, createMs: tCreate } = await createFarm(stack);
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
    await destroyFarm(stack);
  }
}

async function main(): Promise<void> {
  const started = new Date();
  const withAnsible = flag('--with-ansible');
  if (withAnsible) await requireAnsible();
  const loadStart = loadavg();
  try {
    for (let i = 0; i < RUNS; i++) {
      if (!flag('--skip-floor')) await floorRound(i);
      if (!flag('--skip-forklift')) await forkliftRound(i);
      if (withAnsible) await ansibleRound(i, RUNS);
    }
  } finally {
    await cleanupAll();
  }
  console.log(`## webfarm bench, ${started.toISOString()}, ${RUNS} run(s)\n`);
  console.log(`${machineLine(loadStart)}\n`);
  console.log(markdown());
}

runBench(main);
