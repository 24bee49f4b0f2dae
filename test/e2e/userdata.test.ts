// User data on local nodes: a script, a cloud-config object, a failing runcmd reported by
// bootstrap as a node error, and oversized user data refused before anything is created.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { converge, exec, loadConfig, nodes, TAG, type ForkliftEvent, type StackConfig } from '../../src/index.ts';
import { testStack } from './nodes.ts';

const { dir } = testStack('tud', (stack) => `import { defineConfig, file, groupSpec, nodeSpec, plan, serverSpec } from 'forklift';
const configured = serverSpec({ phases: { configure: plan(file('/root/configured', { content: 'yes\\n' })) } });
export default defineConfig({
  stack: '${stack}',
  groups: [
    groupSpec('script', { extends: configured, nodeSpec: nodeSpec({ userData: '#!/bin/sh\\necho from-script > /root/script-ran\\n' }) }),
    groupSpec('config', {
      extends: configured,
      nodeSpec: nodeSpec({ userData: {
        write_files: [{ path: '/root/from-config', content: 'hello\\n' }],
        runcmd: ['echo one > /root/runcmd-ran', ['sh', '-c', 'echo two >> /root/runcmd-ran']],
      } }),
    }),
    groupSpec('failing', { extends: configured, nodeSpec: nodeSpec({ userData: { runcmd: ['echo broken-step >&2; false', 'touch /root/after-false'] } }) }),
    groupSpec('big', { extends: configured, nodeSpec: nodeSpec({ userData: '#!/bin/sh\\n' + '#'.repeat(33 * 1024) }) }),
  ],
});
`);

let config: StackConfig;
before(async () => {
  config = await loadConfig(join(dir, 'forklift.config.ts'));
});

describe('user data', () => {
  test('oversized user data is refused with a clear message before any node is created', async () => {
    await assert.rejects(converge(config, { script: 1, big: 1 }), (e: Error) => {
      assert.match(e.message, /^group big: local: user data is 33\d{3} bytes; the limit is 32768 \(32 KiB\)$/);
      return true;
    });
    assert.deepEqual(await nodes(config), []);
  });

  test('a script and a cloud-config object are applied by cloud-init; a failing runcmd fails bootstrap', async () => {
    const events: ForkliftEvent[] = [];
    const result = await converge(config, { script: 1, config: 1, failing: 1 }, { onEvent: (e) => events.push(e) });
    const byGroup = Object.fromEntries(result.nodes.map((n) => [n.group, n]));
    assert.equal(result.ok, false);
    assert.equal(byGroup.script?.ok, true, byGroup.script?.error?.message);
    assert.equal(byGroup.config?.ok, true, byGroup.config?.error?.message);
    assert.ok(byGroup.config?.actions.some((a) => a.phase === 'bootstrap' && a.name === 'wait for cloud-init' && a.status !== 'failed'));
    const failing = byGroup.failing!;
    assert.equal(failing.ok, false);
    // The wait step fails and carries cloud-init's own error, as text and as data.
    assert.match(failing.error?.message ?? '', /action "wait for cloud-init" failed with exit code 1/);
    assert.match(failing.error?.message ?? '', /scripts-user.*failures \(runcmd\)/);
    assert.deepEqual([failing.error?.code, failing.error?.node, failing.error?.phase, failing.error?.action, failing.error?.exitCode], ['ACTION', failing.name, 'bootstrap', 'wait for cloud-init', 1]);
    assert.ok(!failing.actions.some((a) => a.phase === 'configure'), 'a node whose bootstrap failed runs no more phases');
    assert.ok(events.some((e) => e.type === 'node-phase-done' && e.phase === 'bootstrap' && e.node === failing.name && !e.ok));
    const tags = Object.fromEntries((await nodes(config)).map((n) => [n.group, n.tags[TAG.bootstrapped]]));
    assert.deepEqual(tags, { config: 'true', failing: undefined, script: 'true' });
  });

  test('the nodes hold what their user data made', async () => {
    const one = async (group: string, command: string) => {
      const r = await exec(config, group, command);
      assert.equal(r.nodes.length, 1);
      return r.nodes[0]!;
    };
    assert.equal((await one('script', 'cat /root/script-ran')).stdout, 'from-script\n');
    assert.equal((await one('config', 'cat /root/from-config /root/runcmd-ran /root/configured')).stdout, 'hello\none\ntwo\nyes\n');
    // forklift put `set -e` before runcmd: cloud-init stopped at the failing item.
    const failing = await one('failing', 'test -e /root/after-false');
    assert.equal(failing.exitCode, 1);
    assert.equal(failing.ok, false);
  });
});
