// --timeout: a phase script that runs past it is stopped on the node and fails its node.
// (A bad value is refused before anything runs: test/unit/cli.test.ts.)
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OperationResult } from '../../src/index.ts';
import { waitFor } from './helpers.ts';
import { ssh, testStack } from './nodes.ts';

const { cli } = testStack('ttmo', (name) => `import { defineConfig, execChecked, groupSpec, plan } from 'forklift';
export default defineConfig({ stack: '${name}', groups: [groupSpec('slow', { phases: { configure: plan(execChecked('sleep', 'sleep 60; touch /root/late')) } })] });
`);

describe('timeouts', { concurrency: false }, () => {
  it('a phase script that runs past --timeout is stopped and fails its node, by name and phase', async () => {
    // A fraction of a second is a whole number of milliseconds to the transport.
    const run = await cli(['converge', '--json', '-q', '--timeout', '2.01', 'slow=1']);
    assert.equal(run.code, 1, run.stderr);
    const node = (JSON.parse(run.stdout) as OperationResult).nodes[0]!;
    assert.match(node.error?.message ?? '', /^node slow-[0-9a-f]{4}: phase configure still running after 2\.01 s; stopped it$/);
    assert.deepEqual([node.error?.code, node.error?.node, node.error?.phase], ['TIMEOUT', node.name, 'configure']);
    // The stopped script's processes are gone from the node.
    await waitFor('the stopped script to leave the process list', () => (ssh(node, 'pgrep -f "[s]leep 60; touch" >/dev/null').code === 1 ? true : undefined));
    assert.notEqual(ssh(node, 'test -e /root/late').code, 0);
  });
});
