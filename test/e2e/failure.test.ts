// A failing action on one node fails that node only, with its name, the action, the exit
// code and the last stderr lines; the other nodes finish and the exit code is non-zero.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OperationResult } from '../../src/index.ts';
import { ssh, testStack } from './nodes.ts';

const { cli } = testStack('tfail', (stack) => `import { defineConfig, file, groupSpec, packages, plan } from 'forklift';
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
  it('fails its node only, names node, action, exit code and stderr, and the run exits non-zero', async () => {
    const text = await cli(['converge', 'good=2', 'bad=1']);
    assert.equal(text.code, 1, text.stderr);
    const bad = /node (bad-[0-9a-f]{4}): action "packages no-such-package-forklift" failed with exit code 100\n(.*\n)*.*Unable to locate package no-such-package-forklift/.exec(text.stdout);
    assert.ok(bad, `the summary names node, action, exit code and apt's error:\n${text.stdout}`);
    assert.match(text.stdout, new RegExp(`${bad[1]}\\s+bad\\s+\\S+\\s+FAILED`));
    assert.match(text.stdout, /3 nodes, \d+ changed actions?, 1 failed/);

    const json = await cli(['lift', '--json', '-q']);
    assert.equal(json.code, 1);
    const result = JSON.parse(json.stdout) as OperationResult;
    const good = result.nodes.filter((n) => n.group === 'good');
    assert.equal(good.length, 2);
    assert.ok(good.every((n) => n.ok && !n.error));
    for (const n of good) assert.equal(ssh(n.address, 'cat /root/marker').stdout, 'configured\n');
    const failed = result.nodes.find((n) => n.group === 'bad')!;
    assert.equal(failed.ok, false);
    // The error is data too: code, node, phase, action, exit code and apt's last lines.
    assert.deepEqual([failed.error?.code, failed.error?.node, failed.error?.group, failed.error?.phase, failed.error?.action, failed.error?.exitCode], ['ACTION', failed.name, 'bad', 'configure', 'packages no-such-package-forklift', 100]);
    assert.match(failed.error?.stderrTail ?? '', /Unable to locate package no-such-package-forklift/);
    const action = failed.actions.find((a) => a.status === 'failed')!;
    assert.equal(action.exitCode, 100);
    assert.match(action.stderr, /Unable to locate package/);
    // the node stopped at its first failure: the marker after it never ran
    assert.equal(failed.actions.some((a) => a.name === 'file /root/marker'), false);
    assert.notEqual(ssh(failed.address, 'test -e /root/marker').code, 0);
  });
});
