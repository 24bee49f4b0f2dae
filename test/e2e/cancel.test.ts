import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { CancelledError, converge, loadConfig, nodes, TAG, type ForkliftEvent, type StackConfig } from '../../src/index.ts';
import { containerName, containerPrefix } from '../../src/providers/local/index.ts';
import { BIN } from './helpers.ts';
import { leftovers, testStack } from './nodes.ts';

const { stack, dir } = testStack('tcx', (name) => `import { defineConfig, execChecked, groupSpec, nodeSpec, plan } from 'forklift';
export default defineConfig({ stack: '${name}', groups: [groupSpec('web', {
  nodeSpec: nodeSpec({ userData: { runcmd: ['echo booted > /root/booted'] } }),
  phases: { configure: plan(execChecked('hello', 'echo hello > /root/hello', { creates: '/root/hello' })) },
})] });
`);

let config: StackConfig;
before(async () => {
  config = await loadConfig(join(dir, 'forklift.config.ts'));
});

/** `forklift converge web=N`, interrupted (SIGINT, as Ctrl-C) when the first node is created. */
function interruptedCli(count: number): Promise<{ code: number | null; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, 'converge', `web=${count}`], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
      if (/^\+ web-/m.test(stderr) && !child.killed) child.kill('SIGINT');
    });
    child.on('close', (code) => done({ code, stderr }));
  });
}

const containers = () => leftovers(stack).containers.sort();
const tagged = (list: Array<{ name: string }>) => list.map((n) => containerName(stack, n.name)).sort();
const processes = () => spawnSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.includes(containerPrefix(stack)) && !l.includes('[lxc monitor]') && !l.startsWith('/sbin/init'));

describe('cancellation', { timeout: 10 * 60_000 }, () => {
  test('an already aborted signal stops before anything is created', async () => {
    await assert.rejects(converge(config, { web: 1 }, { signal: AbortSignal.abort() }), CancelledError);
    assert.deepEqual(await nodes(config), []);
  });

  test('a converge aborted mid-way stops with a CancelledError; the next one reaches the counts with no orphan', async () => {
    const controller = new AbortController();
    const events: ForkliftEvent[] = [];
    const onEvent = (e: ForkliftEvent) => {
      events.push(e);
      if (e.type === 'node-created') controller.abort();
    };
    // The test's own timeout bounds how long stopping may take.
    await assert.rejects(converge(config, { web: 3 }, { signal: controller.signal, onEvent }), CancelledError);
    assert.ok(controller.signal.aborted, 'no node was created');
    // Nothing ran after the abort: no phase started, no node was bootstrapped.
    assert.ok(!events.some((e) => e.type === 'phase-start'), 'a phase started after the abort');
    const left = await nodes(config);
    assert.ok(left.length >= 1 && left.length <= 3, `${left.length} nodes left`);
    assert.ok(left.every((n) => n.tags[TAG.bootstrapped] !== 'true'));
    assert.deepEqual(tagged(left), containers(), 'every container is tagged and listed');

    // Ctrl-C on the CLI takes the same path: exit 130, one line, no stack.
    const cli = await interruptedCli(4);
    assert.equal(cli.code, 130, cli.stderr);
    const afterStop = cli.stderr.slice(cli.stderr.indexOf('stopping (Ctrl-C again to quit at once)…'));
    // Work in flight may finish (a create) or end cancelled (a node's script, then its phase's summary); nothing new starts.
    assert.match(afterStop, /^stopping .*\n(\+ .*\n|  ✗ node \S+: cancelled\n|✗ \w+: 0 of \d+ nodes? ok in .*, \d+ cancelled\n)*forklift: cancelled\n/, cli.stderr);
    assert.doesNotMatch(afterStop, /^» /m, 'a phase started after Ctrl-C');
    const beforeRetry = await nodes(config);
    assert.deepEqual(tagged(beforeRetry), containers(), 'every container is tagged and listed');

    const result = await converge(config, { web: 2 });
    assert.equal(result.ok, true, result.nodes.map((n) => n.error?.message).join('\n'));
    assert.equal(result.nodes.length, 2);
    const listed = await nodes(config);
    assert.deepEqual(listed.map((n) => [n.state, n.tags[TAG.bootstrapped]]), [['running', 'true'], ['running', 'true']]);
    assert.deepEqual(tagged(listed), containers(), 'no container beyond the two nodes');
    assert.equal(result.removed.length, beforeRetry.length + result.nodes.filter((n) => n.created).length - 2);
    assert.deepEqual(processes().filter((l) => !containers().some((c) => l.includes(c))), [], 'no process of a removed node');
  });
});
