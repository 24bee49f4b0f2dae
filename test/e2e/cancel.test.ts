// Cancellation with an AbortSignal: a converge aborted mid-way stops with a CancelledError,
// leaves nothing running, and the next converge reaches the counts with no orphan.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { CancelledError, converge, defineConfig, destroy, execChecked, groupSpec, nodes, nodeSpec, plan, TAG, type ForkliftEvent } from '../../src/index.ts';

const stack = `t-cx-${process.pid}`;
const LXC = '/var/lib/forklift/lxc';
const config = defineConfig({
  stack,
  groups: [
    groupSpec('web', {
      nodeSpec: nodeSpec({ userData: { runcmd: ['echo booted > /root/booted'] } }),
      phases: { configure: plan(execChecked('hello', 'echo hello > /root/hello', { creates: '/root/hello' })) },
    }),
  ],
});

// The same stack as a file, for the CLI.
const ROOT = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'fl-cx-'));
writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
writeFileSync(join(dir, 'forklift.config.ts'), `import { defineConfig, execChecked, groupSpec, nodeSpec, plan } from ${JSON.stringify(join(ROOT, 'src/index.ts'))};
export default defineConfig({ stack: ${JSON.stringify(stack)}, groups: [groupSpec('web', {
  nodeSpec: nodeSpec({ userData: { runcmd: ['echo booted > /root/booted'] } }),
  phases: { configure: plan(execChecked('hello', 'echo hello > /root/hello', { creates: '/root/hello' })) },
})] });
`);

/** `forklift converge web=N`, interrupted (SIGINT, as Ctrl-C) when the first node is created. */
function interruptedCli(count: number): Promise<{ code: number | null; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/forklift.js'), 'converge', `web=${count}`], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
      if (/^\+ web-/m.test(stderr) && !child.killed) child.kill('SIGINT');
    });
    // A node's container monitor (lxc-start) may hold stderr open after forklift exits.
    child.on('exit', (code) => {
      const finish = () => done({ code, stderr });
      const timer = setTimeout(finish, 2000);
      child.on('close', () => (clearTimeout(timer), finish()));
    });
  });
}

const containers = () => spawnSync('lxc-ls', ['-1', '-P', LXC], { encoding: 'utf8' }).stdout.split('\n').filter((c) => c.startsWith(`fl-${stack}-`)).sort();
const processes = () => spawnSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.includes(`fl-${stack}-`) && !l.includes('[lxc monitor]') && !l.startsWith('/sbin/init'));

after(async () => {
  await destroy(config).catch((e) => console.error(`destroy: ${e}`));
  for (const ct of containers()) spawnSync('lxc-destroy', ['-P', LXC, '-n', ct, '-f']);
  rmSync(dir, { recursive: true, force: true });
});

describe('cancellation', () => {
  test('an already aborted signal stops before anything is created', async () => {
    await assert.rejects(converge(config, { web: 1 }, { signal: AbortSignal.abort() }), CancelledError);
    assert.deepEqual(await nodes(config), []);
  });

  test('a converge aborted mid-way stops with a CancelledError; the next one reaches the counts with no orphan', async () => {
    const controller = new AbortController();
    const events: ForkliftEvent[] = [];
    let abortedAt = 0;
    const onEvent = (e: ForkliftEvent) => {
      events.push(e);
      if (e.type === 'node-created' && !abortedAt) {
        abortedAt = Date.now();
        controller.abort();
      }
    };
    await assert.rejects(converge(config, { web: 3 }, { signal: controller.signal, onEvent }), CancelledError);
    const stoppedAfter = Date.now() - abortedAt;
    console.error(`aborted after the first node was created; converge stopped ${stoppedAfter} ms later`);
    assert.ok(abortedAt > 0, 'no node was created');
    assert.ok(stoppedAfter < 15_000, `took ${stoppedAfter} ms to stop`);
    // Nothing ran after the abort: no phase started, no node was bootstrapped.
    assert.ok(!events.some((e) => e.type === 'phase-start'), 'a phase started after the abort');
    const left = await nodes(config);
    assert.ok(left.length >= 1 && left.length <= 3, `${left.length} nodes left`);
    assert.ok(left.every((n) => n.tags[TAG.bootstrapped] !== 'true'));
    assert.deepEqual(left.map((n) => `fl-${stack}-${n.name}`).sort(), containers(), 'every container is tagged and listed');

    // Ctrl-C on the CLI takes the same path: exit 130, one line, no stack.
    const cli = await interruptedCli(4);
    assert.equal(cli.code, 130, cli.stderr);
    const afterStop = cli.stderr.slice(cli.stderr.indexOf('stopping (Ctrl-C again to quit at once)…'));
    // Work in flight may finish (a create) or end cancelled (a node's script); nothing new starts.
    assert.match(afterStop, /^stopping .*\n(\+ .*\n|  ✗ node \S+: cancelled\n)*forklift: cancelled\n/, cli.stderr);
    assert.doesNotMatch(afterStop, /^» /m, 'a phase started after Ctrl-C');
    const beforeRetry = await nodes(config);
    assert.deepEqual(beforeRetry.map((n) => `fl-${stack}-${n.name}`).sort(), containers(), 'every container is tagged and listed');

    const t0 = Date.now();
    const result = await converge(config, { web: 2 });
    console.error(`then converge web=2: ${Date.now() - t0} ms, removed ${result.removed.map((r) => `${r.name} (${r.reason})`).join(', ') || 'none'}`);
    assert.equal(result.ok, true, result.nodes.map((n) => n.error).join('\n'));
    assert.equal(result.nodes.length, 2);
    const listed = await nodes(config);
    assert.deepEqual(listed.map((n) => [n.state, n.tags[TAG.bootstrapped]]), [['running', 'true'], ['running', 'true']]);
    assert.deepEqual(listed.map((n) => `fl-${stack}-${n.name}`).sort(), containers(), 'no container beyond the two nodes');
    assert.equal(result.removed.length, beforeRetry.length + result.nodes.filter((n) => n.created).length - 2);
    assert.deepEqual(processes().filter((l) => !containers().some((c) => l.includes(c))), [], 'no process of a removed node');
  });
});
