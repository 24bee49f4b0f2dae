// The progress view as a user reads it: events in, lines and the live footer out (a pure
// function of the events and the clock), piped and on a terminal, at 3 and at 500 nodes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { converge, defineConfig, file, groupSpec, lift, plan } from '../../src/index.ts';
import type { ForkliftEvent } from '../../src/engine/events.ts';
import { fakeCloud } from '../fake/cloud.ts';
import { Reporter } from '../../src/cli/progress/reporter.ts';
import { hasColor, isLive, paint, stripAnsi } from '../../src/cli/progress/terminal.ts';
import { PER_NODE_UP_TO, ProgressView, type ViewOptions } from '../../src/cli/progress/view.ts';

const view = (options: Partial<ViewOptions> = {}) => new ProgressView({ paint: paint(false), live: false, verbose: false, perNodeUpTo: PER_NODE_UP_TO, ...options });

/** Feed events at the given times; the lines printed for good. */
function run(v: ProgressView, events: Array<[number, ForkliftEvent]>): string[] {
  return events.flatMap(([t, e]) => v.apply(e, t));
}

const fail = (node: string, message: string) => ({ code: 'ACTION', message, node });

function phase(names: string[], { failed = [] as string[], slow = new Map<string, number>() } = {}): Array<[number, ForkliftEvent]> {
  const events: Array<[number, ForkliftEvent]> = [[0, { type: 'phase-start', phase: 'configure', nodes: names }]];
  for (const node of names) events.push([0, { type: 'node-phase-start', phase: 'configure', node }]);
  for (const node of names) {
    const ms = slow.get(node) ?? 1000;
    const ok = !failed.includes(node);
    events.push([ms, ok
      ? { type: 'node-phase-done', phase: 'configure', node, ok, changed: 1, ms, actions: [] }
      : { type: 'node-phase-done', phase: 'configure', node, ok, changed: 0, ms, error: fail(node, `node ${node}: action "packages nginx" failed with exit code 100\n    E: Unable to locate package nginx`) }]);
  }
  events.sort((a, b) => a[0] - b[0]);
  events.push([5000, { type: 'phase-end', phase: 'configure', ms: 5000 }]);
  return events;
}

describe('progress, plain lines (piped, CI)', () => {
  it('a small phase: a line per node, as before, then its summary', () => {
    const lines = run(view(), phase(['web-1', 'web-2', 'lb-1'], { failed: ['lb-1'] }));
    assert.deepEqual(lines, [
      '» configure on 3 nodes',
      '  ✓ web-1: 1 changed in 1.0s',
      '  ✓ web-2: 1 changed in 1.0s',
      '  ✗ node lb-1: action "packages nginx" failed with exit code 100\n    E: Unable to locate package nginx',
      '✗ configure: 2 of 3 nodes ok in 5.0s, 2 changed actions, 1 failed (lb-1)',
    ]);
  });

  it('500 nodes: no line per healthy node; every failure named with its message; the slowest named', () => {
    const names = Array.from({ length: 500 }, (_, i) => `web-${String(i).padStart(3, '0')}`);
    const slow = new Map([['web-042', 4800], ['web-007', 4500], ['web-300', 4000]]);
    const lines = run(view(), phase(names, { failed: ['web-013', 'web-499'], slow }));
    assert.equal(lines.length, 4, lines.join('\n'));
    assert.equal(lines[0], '» configure on 500 nodes');
    assert.match(lines[1]!, /^  ✗ node web-013: action "packages nginx" failed with exit code 100\n    E: Unable to locate package nginx$/);
    assert.match(lines[2]!, /^  ✗ node web-499: /);
    assert.equal(lines[3], '✗ configure: 498 of 500 nodes ok in 5.0s, 498 changed actions, 2 failed (web-013, web-499); slowest: web-042 4.8s, web-007 4.5s, web-300 4.0s');
  });

  it('500 nodes, some unreachable before the phase: each named at once with its message, counted as failed in the summary', () => {
    const names = Array.from({ length: 497 }, (_, i) => `web-${String(i).padStart(3, '0')}`);
    const unreached = (node: string): [number, ForkliftEvent] => [0, { type: 'node-unreached', phase: 'configure', node, error: { code: 'UNREACHABLE', message: `node ${node} (10.0.0.9:22): could not connect: connect ECONNREFUSED 10.0.0.9:22`, node } }];
    const lines = run(view(), [unreached('web-497'), unreached('web-498'), unreached('web-499'), ...phase(names)]);
    assert.deepEqual(lines, [
      '✗ node web-497 (10.0.0.9:22): could not connect: connect ECONNREFUSED 10.0.0.9:22',
      '✗ node web-498 (10.0.0.9:22): could not connect: connect ECONNREFUSED 10.0.0.9:22',
      '✗ node web-499 (10.0.0.9:22): could not connect: connect ECONNREFUSED 10.0.0.9:22',
      '» configure on 497 nodes; 3 nodes could not start it',
      '✗ configure: 497 of 500 nodes ok in 5.0s, 497 changed actions, 3 failed (web-497, web-498, web-499); slowest: web-000 1.0s, web-001 1.0s, web-002 1.0s',
    ]);
  });

  it('a large phase whose nodes were all quick names none as slow', () => {
    const names = Array.from({ length: 30 }, (_, i) => `web-${i}`);
    const lines = run(view(), phase(names, { slow: new Map(names.map((n) => [n, 20])) }));
    assert.deepEqual(lines, ['» configure on 30 nodes', '✓ configure: 30 nodes in 5.0s, 30 changed actions']);
  });

  it('-v at 500 nodes: a line per node again', () => {
    const names = Array.from({ length: 500 }, (_, i) => `web-${i}`);
    const lines = run(view({ verbose: true }), phase(names));
    assert.equal(lines.filter((l) => l.startsWith('  ✓ ')).length, 500);
  });

  it('creating many nodes: the plan, then one summary line; a node that could not be made is named', () => {
    const events: Array<[number, ForkliftEvent]> = [[0, { type: 'scaling', create: 30, remove: 2 }]];
    events.push([0, { type: 'node-removing', group: 'web', name: 'web-old1', reason: 'surplus' }], [0, { type: 'node-removing', group: 'web', name: 'web-old2', reason: 'surplus' }]);
    events.push([400, { type: 'node-removed', group: 'web', name: 'web-old1' }], [500, { type: 'node-removed', group: 'web', name: 'web-old2' }]);
    for (let i = 0; i < 30; i++) events.push([1000, { type: 'node-creating', group: 'web', name: `web-${i}` }]);
    for (let i = 0; i < 29; i++) events.push([3000 + i, { type: 'node-created', group: 'web', name: `web-${i}`, address: `10.77.0.${i + 2}`, ms: 2000 + i }]);
    events.push([3100, { type: 'node-create-failed', group: 'web', name: 'web-29', error: { code: 'PROVIDER', message: 'node web-29 (group web) could not be created: local: lxc-start failed', node: 'web-29' } }]);
    events.push([3200, { type: 'phase-start', phase: 'bootstrap', nodes: [] }]);
    const lines = run(view(), events);
    assert.deepEqual(lines.slice(0, 5), [
      '» 30 nodes to create, 2 to remove',
      '- web-old1 (web) removed',
      '- web-old2 (web) removed',
      '✗ node web-29 (group web) could not be created: local: lxc-start failed',
      '✗ 29 nodes created in 2.2s, 1 failed (web-29); slowest: web-28 2.0s, web-27 2.0s, web-26 2.0s',
    ]);
  });

  it('a provider message is printed as it comes; a long phase prints a heartbeat naming what still runs', () => {
    const v = view();
    assert.deepEqual(v.apply({ type: 'provider', message: 'local: building base image debian-12' }, 0), ['· local: building base image debian-12']);
    run(v, phase(['web-1', 'web-2'], { slow: new Map([['web-2', 60_000]]) }).filter(([t]) => t < 2000));
    assert.deepEqual(v.heartbeat(31_000), ['  … configure: 1/2 done, 1 running for 31s: web-2 31s']);
    assert.deepEqual(view().heartbeat(31_000), []);
  });

  it('-v: each node\'s script (as shown) and what each action printed', () => {
    const v = view({ verbose: true });
    const lines = run(v, [
      [0, { type: 'phase-start', phase: 'configure', nodes: ['web-1'] }],
      [0, { type: 'node-script', phase: 'configure', node: 'web-1', script: '# forklift apply script: 1 action\necho token=***\n' }],
      [900, { type: 'node-phase-done', phase: 'configure', node: 'web-1', ok: true, changed: 1, ms: 900, actions: [{ phase: 'configure', name: 'say hi', status: 'changed', changed: true, exitCode: 0, stdout: 'hi\n', stderr: 'warn\n' }] }],
    ]);
    assert.deepEqual(lines.slice(1), [
      '  ┌ web-1: configure script',
      '  │ # forklift apply script: 1 action',
      '  │ echo token=***',
      '  └',
      '  ✓ web-1: 1 changed in 0.9s',
      '      changed      say hi',
      '        │ hi',
      '        │ warn',
    ]);
  });

  it('nodes stopped by Ctrl-C are counted as cancelled, not failed', () => {
    const lines = run(view(), [
      [0, { type: 'phase-start', phase: 'bootstrap', nodes: ['web-1', 'web-2'] }],
      [10, { type: 'node-phase-done', phase: 'bootstrap', node: 'web-1', ok: false, changed: 0, ms: 10, error: { code: 'CANCELLED', message: 'node web-1: cancelled', node: 'web-1' } }],
      [10, { type: 'node-phase-done', phase: 'bootstrap', node: 'web-2', ok: false, changed: 0, ms: 10, error: { code: 'CANCELLED', message: 'node web-2: cancelled', node: 'web-2' } }],
      [20, { type: 'phase-end', phase: 'bootstrap', ms: 20 }],
    ]);
    assert.deepEqual(lines.slice(1), ['  ✗ node web-1: cancelled', '  ✗ node web-2: cancelled', '✗ bootstrap: 0 of 2 nodes ok in 0.0s, 0 changed actions, 2 cancelled']);
  });

  it('a dry run (check) says "would change"', () => {
    const lines = run(view(), [
      [0, { type: 'phase-start', phase: 'configure', nodes: ['web-1'] }],
      [100, { type: 'node-phase-done', phase: 'configure', node: 'web-1', ok: true, changed: 1, ms: 100, actions: [{ phase: 'configure', name: 'f', status: 'would-change', changed: true, exitCode: 0, stdout: '', stderr: '' }] }],
      [200, { type: 'phase-end', phase: 'configure', ms: 200 }],
    ]);
    assert.deepEqual(lines.slice(1), ['  ✓ web-1: 1 would change in 0.1s', '✓ configure: 1 node in 0.2s, 1 action would change']);
  });
});

describe('progress, live view (terminal)', () => {
  it('the footer: counts, elapsed, running nodes slowest first, within the width and height', () => {
    const v = view({ live: true });
    const names = Array.from({ length: 12 }, (_, i) => `web-${i}`);
    v.apply({ type: 'phase-start', phase: 'configure', nodes: names }, 0);
    names.forEach((node, i) => v.apply({ type: 'node-phase-start', phase: 'configure', node }, i * 100));
    v.apply({ type: 'node-phase-done', phase: 'configure', node: 'web-0', ok: true, changed: 0, ms: 1000, actions: [] }, 1000);
    v.apply({ type: 'node-phase-done', phase: 'configure', node: 'web-5', ok: false, changed: 0, ms: 1000, error: fail('web-5', 'node web-5: boom') }, 1000);
    const footer = v.footer(12_500, 80, 24);
    assert.match(footer[0]!, /^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] configure  2\/12 done · 1 failed · 10 running · 12s$/);
    assert.deepEqual(footer.slice(1), ['    web-1  12s', '    web-2  12s', '    web-3  12s', '    web-4  12s', '    web-6  11s', '    … 5 more running']);
    for (const line of v.footer(12_500, 30, 24)) assert.ok([...line].length <= 29, line);
    assert.equal(v.footer(12_500, 80, 4).length, 3);
  });

  it('a provider message stays live (spinner, elapsed) until something else is printed, then is printed for good first', () => {
    const v = view({ live: true });
    assert.deepEqual(v.apply({ type: 'provider', message: 'local: building base image debian-12 with debootstrap' }, 0), []);
    assert.match(v.footer(42_000, 100, 24)[0]!, /^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] local: building base image debian-12 with debootstrap  42s$/);
    assert.deepEqual(v.apply({ type: 'node-created', group: 'app', name: 'app-1', address: '10.77.0.2', ms: 90_000 }, 90_000), [
      '· local: building base image debian-12 with debootstrap',
      '+ app-1 (app) 10.77.0.2 in 1m30s',
    ]);
    assert.deepEqual(v.finish(91_000), []);
    assert.deepEqual(v.footer(91_000, 100, 24), []);
  });

  it('colours on a terminal, none with NO_COLOR, --no-color or when piped', () => {
    const coloured = run(view({ paint: paint(true) }), phase(['web-1'], { failed: ['web-1'] }));
    assert.ok(coloured.some((l) => l.includes('\x1b[31m')), 'failures are red');
    assert.deepEqual(coloured.map(stripAnsi), run(view(), phase(['web-1'], { failed: ['web-1'] })));
    const tty = { isTTY: true };
    assert.equal(hasColor(tty, {}), true);
    assert.equal(hasColor(tty, { NO_COLOR: '1' }), false);
    assert.equal(hasColor(tty, { NO_COLOR: '' }), true, 'NO_COLOR set but empty does not count');
    assert.equal(hasColor(tty, {}, true), false);
    assert.equal(hasColor({ isTTY: false }, {}), false);
    assert.equal(hasColor({ isTTY: false }, { FORCE_COLOR: '1' }), true);
    assert.equal(isLive(tty, {}), true);
    assert.equal(isLive(tty, { CI: 'true' }), false);
    assert.equal(isLive({ isTTY: false }, {}), false);
  });
});

describe('the reporter', () => {
  const stream = () => {
    const writes: string[] = [];
    return { writes, columns: 80, rows: 24, write: (t: string) => writes.push(t) };
  };
  it('live: the footer is drawn below the permanent lines and cleared at the end; the cursor comes back', () => {
    const out = stream();
    let now = 0;
    const r = new Reporter(view({ live: true }), out, true, () => now);
    r.event({ type: 'phase-start', phase: 'configure', nodes: ['a', 'b'] });
    r.event({ type: 'node-phase-start', phase: 'configure', node: 'a' });
    now = 1000;
    r.event({ type: 'node-phase-done', phase: 'configure', node: 'a', ok: true, changed: 0, ms: 1000, actions: [] });
    r.say('stopping (Ctrl-C again to quit at once)…');
    now = 2000;
    r.event({ type: 'operation-end', ms: 2000 });
    const all = out.writes.join('');
    assert.match(all, /\x1b\[\?25l/, 'cursor hidden while live');
    assert.match(all, /\x1b\[\d+A\r\x1b\[J/, 'the footer is redrawn in place');
    assert.ok(all.endsWith('\x1b[?25h'), 'cursor shown at the end');
    assert.deepEqual(out.writes.at(-1)!.replace(/^\x1b\[\d+A\r\x1b\[J/, '').replace('\x1b[?25h', ''), '✗ configure: 1 of 2 nodes ok in 2.0s, 0 changed actions\n', 'b never finished');
    r.event({ type: 'provider', message: 'late' });
    assert.ok(out.writes.join('').endsWith('\x1b[?25h'), 'nothing after the end');
  });
  it('live: what another writer puts on the stream (a Node warning) goes above the live region; the stream is given back', () => {
    const out = stream();
    const own = out.write;
    let now = 0;
    const r = new Reporter(view({ live: true }), out, true, () => now);
    r.event({ type: 'phase-start', phase: 'configure', nodes: ['a'] });
    r.event({ type: 'node-phase-start', phase: 'configure', node: 'a' });
    r.say('first');
    out.write('(node:1) Warning: something\n');
    assert.match(out.writes.at(-1)!, /^\x1b\[\d+A\r\x1b\[J\(node:1\) Warning: something\n[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] configure/);
    now = 1000;
    r.finish();
    assert.equal(out.write, own);
  });

  it('plain: lines only, no escape codes', () => {
    const out = stream();
    const r = new Reporter(view(), out, false, () => 0);
    r.event({ type: 'phase-start', phase: 'configure', nodes: ['a'] });
    r.event({ type: 'node-phase-done', phase: 'configure', node: 'a', ok: true, changed: 0, ms: 0, actions: [] });
    r.event({ type: 'operation-end', ms: 0 });
    assert.equal(out.writes.join(''), '» configure on 1 node\n  ✓ a: 0 changed in 0.0s\n✓ configure: 1 node in 0.0s, 0 changed actions\n');
  });
});

describe('the engine\'s own events at 500 nodes (in-memory cloud)', () => {
  it('converge and lift print a few lines a phase, the failed node named with its message', async () => {
    const cloud = fakeCloud({ record: false });
    const stack = defineConfig({ stack: 'big', provider: cloud.provider, groups: [groupSpec('web', { phases: { configure: plan((ctx) => file('/etc/motd', { content: ctx.node.name })) } })] });
    const printed = (): { text: () => string; onEvent: (e: ForkliftEvent) => void } => {
      const writes: string[] = [];
      const reporter = new Reporter(view(), { write: (t: string) => writes.push(t) }, false);
      return { text: () => writes.join(''), onEvent: (e) => reporter.event(e) };
    };
    const first = printed();
    const made = await converge(stack, { web: 500 }, { transport: cloud.transport, onEvent: first.onEvent });
    assert.equal(made.ok, true);
    assert.deepEqual(first.text().split('\n').filter(Boolean).map((l) => l.replace(/\d+\.\ds/g, 'T')), [
      '» 500 nodes to create',
      '+ 500 nodes created in T',
      '» bootstrap on 500 nodes',
      '✓ bootstrap: 500 nodes in T, 0 changed actions',
      '» configure on 500 nodes',
      '✓ configure: 500 nodes in T, 500 changed actions',
    ]);
    const broken = made.nodes[123]!.name;
    cloud.host(broken).failing = { label: 'file /etc/motd', stderr: 'cp: no space left on device\n' };
    for (const n of made.nodes) cloud.host(n.name).applied.clear();
    const second = printed();
    await lift(stack, { transport: cloud.transport, onEvent: second.onEvent });
    const lines = second.text().split('\n').filter(Boolean);
    assert.deepEqual(lines.map((l) => l.replace(/\d+\.\ds/g, 'T')), [
      '» configure on 500 nodes',
      `  ✗ node ${broken}: action "file /etc/motd" failed with exit code 1`,
      '    cp: no space left on device',
      `✗ configure: 499 of 500 nodes ok in T, 499 changed actions, 1 failed (${broken})`,
    ]);
  });
  it('a node that cannot be reached before its first phase is named at once and counted in that phase', async () => {
    const cloud = fakeCloud({ record: false });
    const stack = defineConfig({ stack: 'gone', provider: cloud.provider, groups: [groupSpec('web', { phases: { configure: plan((ctx) => file('/etc/motd', { content: ctx.node.name })) } })] });
    // Made without running a phase: no node has facts yet, so each is asked for them first.
    const made = await converge(stack, { web: 30 }, { transport: cloud.transport, phases: [] });
    const down = made.nodes[7]!.name;
    cloud.host(down).down = true;
    const writes: string[] = [];
    const reporter = new Reporter(view(), { write: (t: string) => writes.push(t) }, false);
    const events: ForkliftEvent[] = [];
    await lift(stack, { transport: cloud.transport, onEvent: (e) => (events.push(e), reporter.event(e)) });
    assert.deepEqual(events.filter((e) => e.type === 'node-unreached').map((e) => e.type === 'node-unreached' && [e.node, e.phase, e.error.code]), [[down, 'configure', 'TRANSPORT']]);
    const lines = writes.join('').split('\n').filter(Boolean).map((l) => l.replace(/\d+\.\ds/g, 'T'));
    assert.match(lines[0]!, new RegExp(`^✗ node ${down} .*connect ECONNREFUSED$`));
    assert.deepEqual(lines.slice(1), ['» configure on 29 nodes; 1 node could not start it', `✗ configure: 29 of 30 nodes ok in T, 29 changed actions, 1 failed (${down})`]);
  });
});
