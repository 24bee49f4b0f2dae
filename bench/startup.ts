// Start-up benchmark: the CLI's fixed cost, per build. Each variant is this checkout or a git
// ref (exported to .tmp/startup/<ref>, sharing this checkout's node_modules, built with that
// ref's own `npm run build`). For each variant, interleaved so all see the same load:
//   node -e 0                    Node itself (the floor of any CLI written for Node)
//   forklift --help              no stack file
//   forklift nodes               load the web farm's stack file, list its nodes (no SSH)
//   forklift lift                a no-op lift of the web farm (5 nodes, made once by this checkout)
// Prints a markdown table, median (min–max) seconds per variant.
//   npx tsx bench/startup.ts [--runs N] [--refs label=ref,label=ref,...] [--no-farm]
// The farm (lb=1 web=4, stack bsu<pid>) is destroyed at the end, also on failure or Ctrl-C.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, cleanupAll, cleanupOnSignals, cleanups, log, machineLine, ROOT, run } from './lib.ts';

const args = process.argv.slice(2);
const value = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const RUNS = Number(value('--runs') ?? 10);
const FARM = !args.includes('--no-farm');
cleanupOnSignals();

interface Variant {
  label: string;
  root: string;
}

/** A git ref built in a folder of its own, with this checkout's node_modules. */
function exportRef(label: string, ref: string): Variant {
  const dir = join(ROOT, '.tmp/startup', label.replace(/[^\w.-]/g, '_'));
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  log(`building ${label} (${ref}) in ${dir}`);
  execFileSync('sh', ['-c', `git archive ${ref} | tar -x -C ${dir}`], { cwd: ROOT });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
  return { label, root: dir };
}

function stackDir(variant: Variant, stack: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'forklift-startup-'));
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  writeFileSync(join(dir, 'forklift.config.ts'), `import farm from '${join(variant.root, 'examples/webfarm/forklift.config.ts')}';\nexport default { ...farm, stack: '${stack}' };\n`);
  return dir;
}

const samples = new Map<string, number[]>();
const add = (key: string, ms: number) => samples.set(key, [...(samples.get(key) ?? []), ms]);

async function timed(key: string, cmd: string, argv: string[], cwd: string, ok: (out: string) => boolean): Promise<void> {
  const r = await run(cmd, argv, { cwd });
  if (r.code !== 0 || !ok(r.stdout)) throw new Error(`${key}: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  add(key, r.ms);
}

function table(variants: Variant[], rows: string[]): string {
  const cell = (v: number[] | undefined) => {
    if (!v?.length) return '–';
    const a = [...v].sort((x, y) => x - y);
    const med = a.length % 2 ? a[(a.length - 1) / 2]! : (a[a.length / 2 - 1]! + a[a.length / 2]!) / 2;
    return `${(med / 1000).toFixed(3)} (${(a[0]! / 1000).toFixed(2)}–${(a[a.length - 1]! / 1000).toFixed(2)})`;
  };
  return [
    `| command (${RUNS} runs each, median (min–max) s) | ${variants.map((v) => v.label).join(' | ')} |`,
    `|---|${variants.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${row} | ${variants.map((v) => cell(samples.get(`${v.label}\0${row}`))).join(' | ')} |`),
  ].join('\n');
}

async function main(): Promise<void> {
  const started = new Date();
  const loadStart = loadavg();
  const variants: Variant[] = (value('--refs') ?? '').split(',').filter(Boolean).map((spec) => {
    const [label, ref] = spec.includes('=') ? spec.split('=') as [string, string] : [spec, spec];
    return exportRef(label, ref);
  });
  variants.push({ label: 'this checkout', root: ROOT });
  const stack = `bsu${process.pid}`;
  const dirs = new Map(variants.map((v) => [v.label, stackDir(v, stack)]));
  const here = dirs.get('this checkout')!;
  // The farm goes first, while its stack file is still there; the folders after it.
  cleanups.set(stack, async () => {
    if (FARM) {
      const r = await run(process.execPath, [BIN, 'destroy', '--yes', '-q'], { cwd: here });
      if (r.code !== 0) log(`destroy ${stack} exited ${r.code}: ${r.stderr.trim()}`);
    }
    for (const dir of dirs.values()) rmSync(dir, { recursive: true, force: true });
  });
  if (FARM) {
    log(`converge lb=1 web=4 (stack ${stack})`);
    const c = await run(process.execPath, [BIN, 'converge', '-q', 'lb=1', 'web=4'], { cwd: here });
    if (c.code !== 0) throw new Error(`converge failed:\n${c.stdout}\n${c.stderr}`);
  }
  const rows = ['node -e 0', 'forklift --help', 'forklift nodes', ...(FARM ? ['forklift lift (no-op, 5 nodes)'] : [])];
  for (let i = 0; i < RUNS; i++) {
    log(`round ${i + 1}/${RUNS}`);
    for (const v of variants) {
      const bin = join(v.root, 'bin/forklift.js');
      const dir = dirs.get(v.label)!;
      const key = (row: string) => `${v.label}\0${row}`;
      await timed(key(rows[0]!), process.execPath, ['-e', '0'], dir, () => true);
      await timed(key(rows[1]!), process.execPath, [bin, '--help'], dir, (out) => /Usage: forklift/.test(out));
      await timed(key(rows[2]!), process.execPath, [bin, 'nodes'], dir, (out) => (FARM ? /lb-/.test(out) : true));
      if (FARM) await timed(key(rows[3]!), process.execPath, [bin, 'lift'], dir, (out) => /0 changed actions/.test(out));
    }
  }
  console.log(`## start-up bench, ${started.toISOString()}\n\n${machineLine(loadStart)}\n`);
  console.log(table(variants, rows));
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => cleanupAll());

