// App stack benchmark: the no-op lift of examples/app-stack (lb=1 app=2 db=1 on real local
// nodes: haproxy, a Python app checked out with git, PostgreSQL) against the floor of the
// same round trips: one plain `ssh` per node, all at once, running nothing (`true`).
// Both sides interleaved, run by run, in the same process, so they see the same load.
// Also counts forklift's round trips per node in a no-op lift (library, counting transport).
// The stack is made once and destroyed at the end, also on failure or Ctrl-C.
//   npx tsx bench/appstack.ts [--runs N]
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/load.ts';
import { lift } from '../src/engine/lift.ts';
import type { OperationResult } from '../src/index.ts';
import { httpGet } from '../test/e2e/helpers.ts';
import { buildGitRepo, serveFolder } from '../test/e2e/served.ts';
import { BIN, cleanupAll, cleanupOnSignals, cleanups, log, machineLine, markdown, record, ROOT, run, runBench, sshScript } from './lib.ts';
import { countingSsh } from '../test/e2e/counting.ts';

const EXAMPLE = join(ROOT, 'examples/app-stack');
const args = process.argv.slice(2);
const runsArg = args.indexOf('--runs');
const RUNS = runsArg >= 0 ? Number(args[runsArg + 1]) : 5;
cleanupOnSignals();

async function main(): Promise<void> {
  const started = new Date();
  const loadStart = loadavg();
  const served = await serveFolder();
  const repo = buildGitRepo(served, 'app');
  repo.commit('app.py', readFileSync(join(EXAMPLE, 'app/app.py'), 'utf8'), 'app 1');
  process.env['APP_REPO'] = repo.url; // for the CLI runs and the stack loaded here
  const stack = `bas${process.pid}`;
  const dir = mkdtempSync(join(tmpdir(), 'forklift-bench-'));
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  writeFileSync(join(dir, 'forklift.config.ts'), `import s from '${EXAMPLE}/forklift.config.ts';\nexport default { ...s, stack: '${stack}' };\n`);
  cleanups.set(stack, async () => {
    const r = await run(process.execPath, [BIN, 'destroy', '--yes', '-q'], { cwd: dir });
    if (r.code !== 0) log(`forklift destroy ${stack} exited ${r.code}: ${r.stderr.trim()}`);
    rmSync(dir, { recursive: true, force: true });
    repo.close();
    await served.close();
  });
  let rounds = '';
  try {
    log(`forklift converge lb=1 app=2 db=1 (stack ${stack})`);
    const c = await run(process.execPath, [BIN, 'converge', '--json', '-q', 'lb=1', 'app=2', 'db=1'], { cwd: dir });
    if (c.code !== 0) throw new Error(`converge failed (${c.code}):\n${c.stdout}\n${c.stderr}`);
    record('forklift converge lb=1 app=2 db=1, fresh (CLI wall)', c.ms);
    const made = JSON.parse(c.stdout) as OperationResult;
    const lb = made.nodes.find((n) => n.group === 'lb')!.address;
    const body = await httpGet(lb);
    if (!/^app 1 on app-/.test(body)) throw new Error(`the lb answered: ${body}`);

    // Round trips of a no-op lift, per node (one phase: configure).
    const counted = countingSsh();
    const noop = await lift(await loadConfig('forklift.config.ts', dir), { transport: counted.transport });
    if (!noop.ok || noop.changed !== 0) throw new Error(`the counted lift was not a no-op: ${noop.changed} changed`);
    rounds = [...counted.execs].map(([n, k]) => `${n} ${k}`).join(', ');

    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      const floor = await Promise.all(made.nodes.map((n) => sshScript(n.address, 'true\n')));
      if (floor.some((r) => r.code !== 0)) throw new Error(`floor ssh failed: ${floor.map((r) => r.stderr).join('')}`);
      record('floor: one plain ssh per node (`true`), 4 at once', performance.now() - t);
      const l = await run(process.execPath, [BIN, 'lift', '--json'], { cwd: dir });
      const r = l.code === 0 ? (JSON.parse(l.stdout) as OperationResult) : undefined;
      if (!r || r.changed !== 0) throw new Error(`lift not a no-op (${l.code}):\n${l.stdout}\n${l.stderr}`);
      record('forklift lift no-op (node bin/forklift.js, CLI wall)', l.ms);
      // The phase alone, from its progress line (piped: plain lines) to the CLI's exit.
      const phase = l.lines.find((x) => /^» configure/.test(x.line));
      if (phase) record('  ↳ configure phase: connect + one script per node (→ exit)', l.ms - phase.t);
      const nodes = await run(process.execPath, [BIN, 'nodes'], { cwd: dir });
      if (nodes.code === 0) record('forklift nodes (start-up + config + listing, no SSH)', nodes.ms);
    }
  } finally {
    log(`destroy ${stack}`);
    await cleanupAll();
  }
  console.log(`## app stack bench, ${started.toISOString()}, ${RUNS} run(s)\n`);
  console.log(`${machineLine(loadStart)}\n`);
  console.log(`round trips per node in a no-op lift (configure, facts included): ${rounds}\n`);
  console.log(markdown());
}

runBench(main);
