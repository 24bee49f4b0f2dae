// Secrets are never readable and never left behind, on a real node: a 0600 file is never
// readable by another user while it is written (a `nobody` reader races the writes); a
// secret in an exec command never shows in the node's process list; action output holding
// a secret shows *** in errors and --json; after a timeout, and after forklift is killed
// with SIGKILL, nothing of the run is left in the node's /tmp and the script does not run on.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { exec, loadConfig, secret, sh, type OperationResult } from '../../src/index.ts';
import { BIN, waitFor } from './helpers.ts';
import { ssh, testStack } from './nodes.ts';

const TOKEN = `tok-${process.pid}-9f3c`;
/** A grep pattern that finds TOKEN without being TOKEN (the search itself must not show it). */
const FIND_TOKEN = `${TOKEN.slice(0, -1)}[${TOKEN.slice(-1)}]`;
const FILES = [1, 2, 3, 4, 5].map((i) => `/srv/sec/t${i}`);

const { dir, cli } = testStack('tsec', (name) => `import { defineConfig, execChecked, file, groupSpec, plan, secret, sh } from 'forklift';
const token = ${JSON.stringify(TOKEN)};
export default defineConfig({ stack: '${name}', groups: [groupSpec('app', { phases: {
  configure: plan(${JSON.stringify(FILES)}.map((path, i) => file(path, { content: secret('MARKER-' + i + '\\n' + 'x'.repeat(1000000)), mode: '0600' }))),
  leak: plan(execChecked('leaky', sh\`echo "token is \${secret(token)}"; echo "token is \${secret(token)}" >&2; exit 3\`)),
  slow: plan(execChecked('slow', 'touch /root/slow-started; sleep 60; touch /root/slow-late')),
} })] });
`);

describe('secrets on a real node', { concurrency: false, timeout: 10 * 60_000 }, () => {
  let address = '';
  /** What of the run is in the node's /tmp. */
  const tmpLeft = () => ssh(address, 'ls -A /tmp | grep ^forklift || true').stdout.trim();

  before(async () => {
    const made = await cli(['converge', '--json', '-q', 'app=1']);
    assert.equal(made.code, 0, made.stderr);
    address = (JSON.parse(made.stdout) as OperationResult).nodes[0]!.address;
  });

  it('a 0600 secret file is never readable by another user while it is written', async () => {
    const names = FILES.map((f) => `${f}.forklift-new ${f}`).join(' ');
    const reader = `while [ ! -e /tmp/stop-reader ]; do for f in ${names}; do if IFS= read -r l <"$f"; then echo "$f: $l" >>/tmp/seen; fi 2>/dev/null; done; done; touch /tmp/reader-done`;
    const start = ssh(address, `rm -rf /srv/sec /tmp/seen /tmp/stop-reader /tmp/reader-done; mkdir -m 755 /srv/sec; setsid nohup su -s /bin/sh nobody -c '${reader}' >/dev/null 2>&1 </dev/null & sleep 0.2; pgrep -u nobody -x sh >/dev/null`);
    assert.equal(start.code, 0, `the nobody reader did not start: ${start.stderr}`);
    const run = await cli(['lift', '--json', '-q']);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual((JSON.parse(run.stdout) as OperationResult).nodes[0]!.actions.map((a) => a.status), FILES.map(() => 'changed'));
    ssh(address, 'touch /tmp/stop-reader');
    await waitFor('the reader to stop', () => (ssh(address, 'test -e /tmp/reader-done').code === 0 ? true : undefined));
    assert.equal(ssh(address, 'cat /tmp/seen 2>/dev/null').stdout, '', 'nobody read a secret');
    assert.equal(ssh(address, `stat -c %a ${FILES.join(' ')} | sort -u; head -n1 ${FILES[4]}`).stdout, '600\nMARKER-4\n');
  });

  it('a secret in an exec command never shows in the node’s process list; its output shows ***', async () => {
    const config = await loadConfig(join(dir, 'forklift.config.ts'));
    const running = exec(config, 'app', sh`touch /root/exec-started; sleep 3; echo ${secret(TOKEN)} >/dev/null; echo done ${secret(TOKEN)}`);
    let finished = false;
    void running.finally(() => (finished = true));
    await waitFor('the command to start', () => (ssh(address, 'test -e /root/exec-started').code === 0 ? true : undefined));
    const seen: string[] = [];
    for (let polls = 0; !finished && polls < 100; polls++) {
      const ps = ssh(address, `ps -eo args | grep -e '${FIND_TOKEN}'; cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\\0' ' ' | grep -o -e '${FIND_TOKEN}'`);
      if (ps.stdout.trim()) seen.push(ps.stdout.trim());
    }
    const result = await running;
    assert.deepEqual(seen, [], 'the secret showed in the process list');
    assert.equal(result.nodes[0]!.stdout, 'done ***\n');
    assert.equal(result.command, 'touch /root/exec-started; sleep 3; echo *** >/dev/null; echo done ***');
  });

  it('an action that prints a secret shows *** in the error, the CLI line and --json', async () => {
    const json = await cli(['lift', '--json', '-q', '--phase', 'leak']);
    assert.equal(json.code, 1);
    assert.ok(!json.stdout.includes(TOKEN) && !json.stderr.includes(TOKEN), json.stdout + json.stderr);
    const node = (JSON.parse(json.stdout) as OperationResult).nodes[0]!;
    assert.deepEqual([node.actions[0]!.stdout, node.actions[0]!.stderr, node.error!.stderrTail], ['token is ***\n', 'token is ***\n', 'token is ***']);
    const text = await cli(['lift', '--phase', 'leak']);
    assert.match(text.stdout + text.stderr, /action "leaky" failed with exit code 3\n\s+token is \*\*\*/);
    assert.ok(!(text.stdout + text.stderr).includes(TOKEN));
  });

  it('after a timeout nothing of the run is left in /tmp, and no script file ever was', async () => {
    ssh(address, 'rm -f /root/slow-started /root/slow-late');
    const child = spawn(process.execPath, [BIN, 'lift', '-q', '--phase', 'slow', '--timeout', '15'], { cwd: dir, stdio: 'ignore' });
    const exited = new Promise<number | null>((done) => child.on('exit', done));
    await waitFor('the slow action to start', () => (ssh(address, 'test -e /root/slow-started').code === 0 ? true : undefined));
    // While it runs: one private capture folder, no file holding the script.
    assert.match(ssh(address, 'ls -ld /tmp/forklift*').stdout, /^drwx------ .* \/tmp\/forklift\.\w{6}\n$/);
    assert.equal(await exited, 1);
    await waitFor('/tmp to be clean', () => (tmpLeft() === '' ? true : undefined));
    assert.notEqual(ssh(address, 'test -e /root/slow-late').code, 0);
  });

  it('after forklift is killed (SIGKILL) the script stops on the node and nothing is left in /tmp', async () => {
    ssh(address, 'rm -f /root/slow-started /root/slow-late');
    const child = spawn(process.execPath, [BIN, 'lift', '-q', '--phase', 'slow'], { cwd: dir, stdio: 'ignore' });
    const exited = new Promise((done) => child.on('exit', done));
    await waitFor('the slow action to start', () => (ssh(address, 'test -e /root/slow-started').code === 0 ? true : undefined));
    child.kill('SIGKILL');
    await exited;
    await waitFor('the script to stop', () => (ssh(address, 'pgrep -f "[s]leep 60" >/dev/null').code === 1 ? true : undefined));
    await waitFor('/tmp to be clean', () => (tmpLeft() === '' ? true : undefined));
    assert.notEqual(ssh(address, 'test -e /root/slow-late').code, 0, 'the script ran on after forklift was killed');
  });
});
