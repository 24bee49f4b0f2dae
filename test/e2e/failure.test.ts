// A failing action on one node fails that node only, with its name, the action, the exit
// code and the last stderr lines; the other nodes finish and the exit code is non-zero.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { OperationResult } from '../../src/index.ts';
import { spawn } from 'node:child_process';
import { BIN, forklift, leftovers, ssh, stackDir } from './helpers.ts';

const stack = `tfail${process.pid}`;
const slowStack = `tslow${process.pid}`;
const slowDir = stackDir(`import { defineConfig, execChecked, groupSpec, plan } from 'forklift';
export default defineConfig({ stack: '${slowStack}', groups: [groupSpec('slow', { phases: { configure: plan(execChecked('sleep', 'sleep 60')) } })] });
`);
const dir = stackDir(`import { defineConfig, file, groupSpec, packages, plan } from 'forklift';
const marker = file('/root/marker', { content: 'configured\\n' });
export default defineConfig({
  stack: '${stack}',
  groups: [
    groupSpec('good', { phases: { configure: plan(marker) } }),
    groupSpec('bad', { phases: { configure: plan(packages('no-such-package-forklift'), marker) } }),
  ],
});
`);

describe('a failing action', { concurrency: false }, () => {
  after(async () => {
    await forklift(['destroy', '-q'], dir);
    await forklift(['destroy', '-q'], slowDir);
  });

  it('a second operator is refused while a converge holds the stack; SIGKILL frees the lock', async () => {
    const first = spawn(process.execPath, [BIN, 'converge', '--timeout', '60', 'slow=1'], { cwd: slowDir, stdio: ['ignore', 'ignore', 'pipe'] });
    const exited = new Promise((done) => first.on('exit', done));
    let progress = '';
    await new Promise<void>((done, fail) => {
      first.stderr!.on('data', (d) => {
        progress += d;
        if (progress.includes('» configure')) done();
      });
      first.on('exit', () => fail(new Error(`converge ended early:\n${progress}`)));
    });
    const second = await forklift(['lift'], slowDir);
    assert.equal(second.code, 1);
    assert.match(second.stderr, new RegExp(`^forklift: local: stack ${slowStack} is locked by forklift converge \\(pid ${first.pid}, since [^)]+\\); wait for it to finish`));
    first.kill('SIGKILL');
    await exited;
    const after = await forklift(['destroy', '-q'], slowDir);
    assert.equal(after.code, 0, after.stderr);
    assert.deepEqual(leftovers(slowStack), { containers: [], processes: [] });
  });

  it('a phase script that runs past --timeout is stopped and fails its node', async () => {
    const t0 = Date.now();
    const run = await forklift(['converge', '--timeout', '3', 'slow=1'], slowDir);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stdout, /node slow-[0-9a-f]{4}: phase configure still running after 3 s; stopped it/);
    assert.ok(Date.now() - t0 < 40_000, 'the run ended long before the script would have');
    // exec's --timeout stops the command too: what it would do after the limit never happens
    const exec = await forklift(['exec', '--timeout', '1', 'slow', '--', 'sleep 3; touch /root/late'], slowDir);
    assert.equal(exec.code, 1);
    assert.match(exec.stderr, /node slow-[0-9a-f]{4}: still running after 1000 ms; stopped it/);
    await new Promise((r) => setTimeout(r, 4000));
    const node = (JSON.parse((await forklift(['nodes', '--json'], slowDir)).stdout) as Array<{ address: string }>)[0]!;
    assert.notEqual(ssh(node.address, 'test -e /root/late').code, 0, 'the stopped command ran on');
    const bad = await forklift(['lift', '--timeout', 'soon'], slowDir);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--timeout.*must be a positive number of seconds/);
  });

  it('fails its node only, names node, action, exit code and stderr, and the run exits non-zero', async () => {
    const text = await forklift(['converge', 'good=2', 'bad=1'], dir);
    assert.equal(text.code, 1, text.stderr);
    const bad = /node (bad-[0-9a-f]{4}): action "packages no-such-package-forklift" failed with exit code 100\n(.*\n)*.*Unable to locate package no-such-package-forklift/.exec(text.stdout);
    assert.ok(bad, `the summary names node, action, exit code and apt's error:\n${text.stdout}`);
    assert.match(text.stdout, new RegExp(`${bad[1]}\\s+bad\\s+\\S+\\s+FAILED`));
    assert.match(text.stdout, /3 nodes, \d+ changed actions?, 1 failed/);

    const json = await forklift(['lift', '--json', '-q'], dir);
    assert.equal(json.code, 1);
    const result = JSON.parse(json.stdout) as OperationResult;
    const good = result.nodes.filter((n) => n.group === 'good');
    assert.equal(good.length, 2);
    assert.ok(good.every((n) => n.ok && !n.error));
    for (const n of good) assert.equal(ssh(n.address, 'cat /root/marker').stdout, 'configured\n');
    const failed = result.nodes.find((n) => n.group === 'bad')!;
    assert.equal(failed.ok, false);
    const action = failed.actions.find((a) => a.status === 'failed')!;
    assert.equal(action.exitCode, 100);
    assert.match(action.stderr, /Unable to locate package/);
    // the node stopped at its first failure: the marker after it never ran
    assert.equal(failed.actions.some((a) => a.name === 'file /root/marker'), false);
    assert.notEqual(ssh(failed.address, 'test -e /root/marker').code, 0);
  });
});
