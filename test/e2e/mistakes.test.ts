// User mistakes that need the local provider to notice them: each is one line naming the
// value, exit 1, and nothing is touched.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { describe, it } from 'node:test';
import { BIN } from './helpers.ts';
import { leftovers, testStack } from './nodes.ts';

const { stack, dir, cli } = testStack('tmis', (name) => `import { defineConfig, groupSpec } from 'forklift';
export default defineConfig({ stack: '${name}', groups: [groupSpec('web')] });
`);

describe('user mistakes on the local provider', () => {
  it('converge web=65537 is refused before any node is made: it does not fit in the subnet', async () => {
    const run = await cli(['converge', '-q', 'web=65537']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^forklift: group web: local: 65537 nodes do not fit: this host has room for \d+ more in 10\.77\.0\.0\/16\n$/);
    assert.deepEqual(leftovers(stack).containers, []);
    // The stack is not left locked.
    const again = await cli(['converge', '-q', 'web=0']);
    assert.equal(again.code, 0, again.stderr);
  });

  it('a user who is not root is told to run it with sudo, and nothing is made', () => {
    chmodSync(dir, 0o755);
    for (const args of [['converge', 'web=1'], ['nodes'], ['destroy']]) {
      const run = spawnSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, BIN, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, HOME: '/nonexistent' } });
      assert.equal(run.status, 1, run.stderr);
      assert.equal(run.stderr, 'forklift: local: the local provider needs root (it runs LXC and iptables): run forklift with sudo\n', args.join(' '));
    }
    assert.deepEqual(leftovers(stack).containers, []);
  });
});
