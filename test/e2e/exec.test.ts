// forklift exec: one command on every node of a group, in parallel; per-node output,
// a non-zero exit when a node fails, --json, and --timeout that really stops the command.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { ExecResult, OperationResult } from '../../src/index.ts';
import { waitFor } from './helpers.ts';
import { ssh, testStack } from './nodes.ts';

const { cli } = testStack('texec', (stack) => `import { defineConfig, file, groupSpec, plan } from 'forklift';
export default defineConfig({ stack: '${stack}', groups: [groupSpec('app', { phases: { configure: plan((ctx) => file('/root/name', { content: ctx.node.name + '\\n' })) } })] });
`);

describe('exec', { concurrency: false }, () => {
  let names: string[] = [];
  let address = '';

  before(async () => {
    const run = await cli(['converge', '--json', '-q', 'app=2']);
    assert.equal(run.code, 0, run.stderr);
    const nodes = (JSON.parse(run.stdout) as OperationResult).nodes;
    names = nodes.map((n) => n.name).sort();
    address = nodes[0]!.address;
  });

  it('prints every output line prefixed with its node', async () => {
    const ok = await cli(['exec', 'app', '--', 'cat', '/root/name']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(ok.stdout.split('\n').filter(Boolean).sort(), names.map((n) => `${n} | ${n}`));
  });

  it('exits non-zero when a node fails; --json gives exit code, stdout and stderr per node', async () => {
    const failed = await cli(['exec', '--json', 'app', '--', 'echo out; echo err >&2; exit 7']);
    assert.equal(failed.code, 1);
    const json = JSON.parse(failed.stdout) as ExecResult;
    assert.equal(json.ok, false);
    assert.deepEqual(json.nodes.map((n) => [n.exitCode, n.stdout, n.stderr, n.error?.code, n.error?.exitCode]), [[7, 'out\n', 'err\n', 'EXIT', 7], [7, 'out\n', 'err\n', 'EXIT', 7]]);
  });

  it('--timeout stops the command: what it would do after the limit never happens', async () => {
    const started = Date.now();
    const exec = await cli(['exec', '--timeout', '1', 'app', '--', 'sleep 3.5; touch /root/late']);
    assert.equal(exec.code, 1);
    assert.match(exec.stderr, /node app-[0-9a-f]{4}: still running after 1000 ms; stopped it/);
    // The command is gone from the node's processes (its text is in none: it runs from the
    // shell's memory, so the sleep is found by its own command line), and it never gets to its touch.
    await waitFor('the stopped command to leave the process list', () => (ssh(address, 'pgrep -fx "sleep 3.5" >/dev/null').code === 1 ? true : undefined));
    await new Promise((r) => setTimeout(r, Math.max(0, started + 5000 - Date.now())));
    assert.notEqual(ssh(address, 'test -e /root/late').code, 0, 'the stopped command ran on');
  });
});
