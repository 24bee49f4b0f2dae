// User data on local nodes: a script, a cloud-config object, a failing runcmd reported by
// bootstrap as a node error, and oversized user data refused before anything is created.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { converge, destroy, exec, loadConfig, nodes, TAG, type ForkliftEvent, type StackConfig } from '../../src/index.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const stack = `t-ud-${process.pid}`;
const dir = mkdtempSync(join(tmpdir(), 'fl-ud-'));
const file = join(dir, 'forklift.config.ts');
writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
writeFileSync(file, `
import { defineConfig, file, groupSpec, nodeSpec, plan, serverSpec } from ${JSON.stringify(join(ROOT, 'src/index.ts'))};
const configured = serverSpec({ phases: { configure: plan(file('/root/configured', { content: 'yes\\n' })) } });
export default defineConfig({
  stack: ${JSON.stringify(stack)},
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

after(async () => {
  if (config) await destroy(config).catch((e) => console.error(`destroy: ${e}`));
  // Whatever the engine could not remove (a failed destroy) goes by name.
  for (const ct of spawnSync('lxc-ls', ['-1', '-P', '/var/lib/forklift/lxc'], { encoding: 'utf8' }).stdout.split('\n')) {
    if (ct.startsWith(`fl-${stack}-`)) spawnSync('lxc-destroy', ['-P', '/var/lib/forklift/lxc', '-n', ct, '-f']);
  }
  rmSync(dir, { recursive: true, force: true });
});

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/forklift.js'), ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => done({ code: code ?? 1, stdout, stderr }));
  });
}

describe('user data', () => {
  test('oversized user data is refused with a clear message before any node is created', async () => {
    config = await loadConfig(file);
    await assert.rejects(converge(config, { script: 1, big: 1 }), (e: Error) => {
      assert.match(e.message, /group big: user data is 33\d{3} bytes; the limit is 32768 \(32 KiB\)/);
      return true;
    });
    assert.deepEqual(await nodes(config), []);
  });

  test('a script and a cloud-config object are applied by cloud-init; a failing runcmd fails bootstrap', async () => {
    const events: ForkliftEvent[] = [];
    const t0 = Date.now();
    const result = await converge(config, { script: 1, config: 1, failing: 1 }, { onEvent: (e) => events.push(e) });
    console.error(`converge of 3 nodes with user data: ${Date.now() - t0} ms`);
    const byGroup = Object.fromEntries(result.nodes.map((n) => [n.group, n]));
    assert.equal(result.ok, false);
    assert.equal(byGroup.script?.ok, true, byGroup.script?.error);
    assert.equal(byGroup.config?.ok, true, byGroup.config?.error);
    assert.ok(byGroup.config?.actions.some((a) => a.phase === 'bootstrap' && a.name === 'wait for cloud-init' && a.status !== 'failed'));
    const failing = byGroup.failing!;
    console.error(`failing node reported: ${failing.error}`);
    assert.equal(failing.ok, false);
    // The wait step fails and carries cloud-init's own error.
    assert.match(failing.error ?? '', /action "wait for cloud-init" failed with exit code 1/);
    assert.match(failing.error ?? '', /scripts-user.*failures \(runcmd\)/);
    assert.ok(!failing.actions.some((a) => a.phase === 'configure'), 'a node whose bootstrap failed runs no more phases');
    assert.ok(events.some((e) => e.type === 'node-phase-done' && e.phase === 'bootstrap' && e.node === failing.name && !e.ok));
    const tags = Object.fromEntries((await nodes(config)).map((n) => [n.group, n.tags[TAG.bootstrapped]]));
    assert.deepEqual(tags, { config: 'true', failing: undefined, script: 'true' });
  });

  test('the nodes hold what their user data made (checked with exec)', async () => {
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

  test('forklift exec: per-node output, non-zero exit when a node fails, --json', async () => {
    const ok = await cli(['exec', 'config', '--', 'cat', '/root/from-config']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^config-[0-9a-f]{4} \| hello\n$/);
    const failed = await cli(['exec', '--json', 'failing', '--', 'echo out; echo err >&2; exit 7']);
    assert.equal(failed.code, 1);
    const json = JSON.parse(failed.stdout);
    assert.equal(json.ok, false);
    assert.deepEqual(
      json.nodes.map((n: { group: string; exitCode: number; stdout: string; stderr: string }) => [n.group, n.exitCode, n.stdout, n.stderr]),
      [['failing', 7, 'out\n', 'err\n']],
    );
  });
});
