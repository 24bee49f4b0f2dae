// One operator at a time: a second operator is refused while a converge holds the stack,
// with the holder named; SIGKILL of the holder frees the lock (it ends with its process).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { describe, it } from 'node:test';
import { BIN, stderrLine } from './helpers.ts';
import { leftovers, testStack } from './nodes.ts';

const { stack, dir, cli } = testStack('tlock', (name) => `import { defineConfig, execChecked, groupSpec, plan } from 'forklift';
export default defineConfig({ stack: '${name}', groups: [groupSpec('slow', { phases: { configure: plan(execChecked('sleep', 'sleep 60')) } })] });
`);

describe('stack lock', { concurrency: false }, () => {
  it('a second operator is refused while a converge holds the stack; SIGKILL frees the lock', async () => {
    const first = spawn(process.execPath, [BIN, 'converge', '--timeout', '60', 'slow=1'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    const exited = new Promise((done) => first.on('exit', done));
    await stderrLine(first, /^» configure/);
    const second = await cli(['lift']);
    assert.equal(second.code, 1);
    assert.match(second.stderr, new RegExp(`^forklift: local: stack ${stack} is locked by forklift converge \\(pid ${first.pid} on ${hostname()}, since [^)]+\\); wait for it to finish`));
    first.kill('SIGKILL');
    await exited;
    const after = await cli(['destroy', '--yes', '-q']);
    assert.equal(after.code, 0, after.stderr);
    assert.deepEqual(leftovers(stack), { containers: [], processes: [] });
  });
});
