// A host command that hangs (here lxc-start, through a PATH shim given only to this
// test's CLI run: a hang cannot be caused for real on demand) fails its node only, within
// the command's time limit, with a message naming the command and the node; it is killed
// with what it started; the other nodes finish and are reported; the next converge
// replaces the failed node.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { containerName } from '../../src/providers/local/index.ts';
import type { OperationResult } from '../../src/index.ts';
import { leftovers, testStack } from './nodes.ts';

const LIMIT_MS = 20_000;
const shims = mkdtempSync(join(tmpdir(), 'fl-hang-'));
const marker = `forklift-hung-${process.pid}`;
after(() => rmSync(shims, { recursive: true, force: true }));

// The first lxc-start hangs (as a process named after this test); the others are the real one.
writeFileSync(join(shims, 'lxc-start'), `#!/bin/bash
if mkdir ${join(shims, 'first')} 2>/dev/null; then exec -a ${marker} sleep 3600; fi
exec /usr/bin/lxc-start "$@"
`);
chmodSync(join(shims, 'lxc-start'), 0o755);

const { stack, cli } = testStack('thang', (name) => `import { defineConfig, execChecked, groupSpec, plan } from 'forklift';
export default defineConfig({ stack: '${name}', provider: { name: 'local', commandTimeoutsMs: { 'lxc-start': ${LIMIT_MS} } }, groups: [groupSpec('web', {
  phases: { configure: plan(execChecked('hello', 'echo hello > /root/hello', { creates: '/root/hello' })) },
})] });
`);

const hung = () => spawnSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.startsWith(marker));

describe('a hung host command', { timeout: 5 * 60_000 }, () => {
  it('fails only its node, named with the command; the others are made and reported', async () => {
    const run = await cli(['converge', '--json', 'web=3'], { PATH: `${shims}:${process.env.PATH}` });
    assert.equal(run.code, 1, run.stderr);
    const result = JSON.parse(run.stdout) as OperationResult;
    assert.equal(result.nodes.length, 2, 'the two other nodes are reported');
    assert.ok(result.nodes.every((n) => n.ok && n.created && n.actions.some((a) => a.name === 'hello' && a.changed)));
    assert.equal(result.errors.length, 1);
    const [failure] = result.errors;
    const container = containerName(stack, failure!.node!);
    assert.equal(failure!.message, `node ${failure!.node} (group web) could not be created: local: lxc-start -P /var/lib/forklift/lxc -n ${container} -d did not finish in ${LIMIT_MS / 1000} s and was killed`);
    assert.match(run.stderr, new RegExp(`^✗ node ${failure!.node} \\(group web\\) could not be created: local: lxc-start .* did not finish`, 'm'));
    assert.deepEqual(hung(), [], 'the hung command was killed');
  });

  it('the next converge replaces the failed node', async () => {
    const run = await cli(['converge', '--json', '-q', 'web=3']);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout) as OperationResult;
    assert.equal(result.nodes.length, 3);
    assert.equal(result.removed.length, 1);
    assert.match(result.removed[0]!.reason, /^left (pending|error) by an earlier run$/);
    assert.deepEqual(leftovers(stack).containers.sort(), result.nodes.map((n) => containerName(stack, n.name)).sort());
  });
});
