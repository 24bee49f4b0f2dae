// The engine alone: converge then a no-op lift of N in-memory nodes through the fake
// transport (test/fake/cloud.ts), so what is measured is forklift's own work per node:
// planning, rendering, running (the fake host answers each block), recording results.
// Each size runs in a fresh child process so peak RSS is its own.
// Run: npx tsx bench/engine.ts [1000,10000,50000]
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

const sizes = (process.argv[2] ?? '1000,10000,50000').split(',').map(Number);

if (process.env.FORKLIFT_BENCH_CHILD) await child(Number(process.env.FORKLIFT_BENCH_CHILD));
else parent();

interface Figures {
  nodes: number;
  convergeMs: number;
  liftMs: number;
  planMs: number;
  renderMs: number;
  runMs: number;
  peakRssMiB: number;
}

function parent(): void {
  const rows: Figures[] = [];
  for (const n of sizes) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', fileURLToPath(import.meta.url)], {
      env: { ...process.env, FORKLIFT_BENCH_CHILD: String(n) },
      encoding: 'utf8',
      maxBuffer: 1 << 24,
    });
    if (r.status !== 0) throw new Error(`bench child for ${n} nodes failed:\n${r.stderr}`);
    rows.push(JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Figures);
  }
  const base = rows[0]!;
  const table = [
    ['nodes', 'converge', 'no-op lift', 'lift: plan', 'lift: render', 'lift: run', 'per node (conv+lift)', 'vs first size', 'peak RSS'],
    ...rows.map((r) => [
      String(r.nodes),
      `${(r.convergeMs / 1000).toFixed(2)} s`,
      `${(r.liftMs / 1000).toFixed(2)} s`,
      `${(r.planMs / 1000).toFixed(2)} s`,
      `${(r.renderMs / 1000).toFixed(2)} s`,
      `${(r.runMs / 1000).toFixed(2)} s`,
      `${(((r.convergeMs + r.liftMs) / r.nodes) * 1000).toFixed(0)} µs`,
      `${(((r.convergeMs + r.liftMs) / r.nodes) / ((base.convergeMs + base.liftMs) / base.nodes)).toFixed(2)}×`,
      `${r.peakRssMiB.toFixed(0)} MiB`,
    ]),
  ];
  const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
  console.log(table.map((row) => row.map((cell, c) => cell.padEnd(widths[c]!)).join('  ')).join('\n'));
  console.log('\nlift: plan and render are timed alone over the same nodes (plan functions → actions; aggregation → one script per node); run is the rest of the lift (fake transport, records read back, results).');
}

async function child(n: number): Promise<void> {
  const { converge, lift, defineConfig, file, groupSpec, haproxy, nodesWithRole, packages, plan, service } = await import('../src/index.ts');
  const { fakeCloud } = await import('../test/fake/cloud.ts');
  const { contextFactory, targetOf } = await import('../src/engine/phase.ts');
  const { toRef } = await import('../src/engine/operation.ts');
  const { buildPhaseScript } = await import('../src/engine/script.ts');
  const { planActions } = await import('../src/spec/plan.ts');
  const { phasePlan } = await import('../src/spec/server.ts');
  const cloud = fakeCloud({ record: false });
  // The web farm's shape: every web node has a page of its own, a package and a service; two
  // lbs read all of them (their config grows with the farm).
  const lbs = 2;
  const stack = defineConfig({
    stack: 'bench',
    provider: cloud.provider,
    groups: [
      groupSpec('web', {
        roles: ['web'],
        phases: { configure: plan(packages('nginx'), (ctx) => file('/var/www/index.html', { content: `served by ${ctx.node.name}\n` }), service('nginx')) },
      }),
      groupSpec('lb', { phases: { configure: haproxy.addBackend('web', { servers: nodesWithRole('web'), port: 80 }) } }),
    ],
  });
  let peak = process.memoryUsage().rss;
  const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const options = { transport: cloud.transport, concurrency: 512 };
  let t = performance.now();
  const first = await converge(stack, { web: n - lbs, lb: lbs }, options);
  const convergeMs = performance.now() - t;
  if (!first.ok || first.nodes.length !== n) throw new Error('converge did not make every node');
  t = performance.now();
  const again = await lift(stack, options);
  const liftMs = performance.now() - t;
  if (again.changed !== 0) throw new Error(`the no-op lift changed ${again.changed} actions`);
  // The lift's controller stages, timed alone over the same nodes: planning (plan functions
  // → actions) and rendering (aggregation → one script per node). The rest of the lift is
  // running: the transport, reading records back, results.
  const infos = await cloud.provider.listNodes('bench');
  const groups = new Map(stack.groups.map((g) => [g.name, g]));
  const nodes = infos.map((info) => ({ info, group: groups.get(info.group)!, ref: toRef(info, groups.get(info.group)!) }));
  const context = contextFactory('bench', 'configure', nodes.map((x) => x.ref));
  let planMs = 0;
  t = performance.now();
  for (const x of nodes) await planActions(phasePlan(x.group, 'configure'), context(x.ref));
  planMs = performance.now() - t;
  t = performance.now();
  for (const x of nodes) await buildPhaseScript(phasePlan(x.group, 'configure'), context(x.ref), targetOf(x));
  const renderMs = Math.max(0, performance.now() - t - planMs);
  clearInterval(sample);
  peak = Math.max(peak, process.memoryUsage().rss);
  const figures: Figures = { nodes: n, convergeMs, liftMs, planMs, renderMs, runMs: Math.max(0, liftMs - planMs - renderMs), peakRssMiB: peak / 2 ** 20 };
  console.log(JSON.stringify(figures));
}
