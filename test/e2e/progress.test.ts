// Progress as a user sees it, on real local nodes: the live view on a terminal (tmux),
// with and without NO_COLOR, the plain lines when piped or in CI, -v and -q.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { stripAnsi } from '../../src/cli/progress/terminal.ts';
import { BIN } from './helpers.ts';
import { testStack } from './nodes.ts';
import { onPty, terminal } from './terminal.ts';

// Two healthy nodes whose configure takes a few seconds (so the live view is seen), and one that fails.
const SECRET = 'hunter2-token';
const { stack, dir, cli } = testStack('tprg', (name) => `import { defineConfig, execChecked, groupSpec, plan, secret, sh } from 'forklift';
export default defineConfig({
  stack: '${name}',
  groups: [
    groupSpec('app', { phases: { configure: plan(execChecked('slow', sh\`sleep 3; echo slept; echo token=\${secret('${SECRET}')}\`)) } }),
    groupSpec('bad', { phases: { configure: plan(execChecked('broken', 'echo oops >&2; exit 3')) } }),
  ],
});
`);

const SPINNER = /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/;
const forkliftLine = (args: string) => `${process.execPath} ${BIN} ${args}`;

before(async () => {
  const r = await cli(['converge', '-q', 'app=2', 'bad=1']);
  assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /3 nodes, .*1 failed/);
});

describe(`progress of stack ${stack}`, { timeout: 10 * 60_000 }, () => {
  test('on a terminal: a live view while nodes run, then the summary, failures named, in colour', async () => {
    const tty = terminal('live', dir);
    const ran = tty.run(forkliftLine('lift'));
    // While configure runs: the phase, its counts, the running nodes, a spinner.
    let live = '';
    for (const deadline = Date.now() + 60_000; Date.now() < deadline && !/configure +[12]\/3 done .* [12] running/.test(live); ) {
      await new Promise((r) => setTimeout(r, 200));
      live = tty.screen();
    }
    assert.match(live, /configure +\d\/3 done( · 1 failed)? · [12] running · \ds/, live);
    assert.match(live, new RegExp(`${SPINNER.source} configure`));
    assert.match(live, /\n {4}app-[0-9a-f]{4} +\ds\n/, 'a running node is named with its time');
    assert.equal(await ran, 1);
    const screen = tty.screen();
    assert.match(screen, /^» configure on 3 nodes$/m);
    assert.match(screen, /^ {2}✓ app-[0-9a-f]{4}: 1 changed in \d+\.\ds$/m);
    assert.match(screen, /^ {2}✗ node bad-[0-9a-f]{4}: action "broken" failed with exit code 3\n {4}oops$/m);
    assert.match(screen, /^✗ configure: 2 of 3 nodes ok in \d+\.\ds, 2 changed actions, 1 failed \(bad-[0-9a-f]{4}\)$/m);
    assert.match(screen, /^NODE +GROUP +ADDRESS +STATUS +CHANGED$/m);
    assert.doesNotMatch(screen, SPINNER, 'the live region is gone when the run ends');
    assert.doesNotMatch(screen, /running · /);
    const colours = tty.screen(true);
    assert.match(colours, /\x1b\[[0-9;]*31m(\x1b\[[0-9;]*m)* *✗ node bad-/, 'failures in red');
    assert.match(colours, /\x1b\[[0-9;]*32m✓(\x1b\[[0-9;]*m)* app-/, 'success in green');
  });

  test('NO_COLOR=1 and --no-color: the same terminal view without a colour', async () => {
    for (const [env, flag] of [['NO_COLOR=1 ', ''], ['', ' --no-color']] as const) {
      const tty = terminal(`plain${flag ? 'flag' : 'env'}`, dir);
      assert.equal(await tty.run(`${env}${forkliftLine(`lift${flag}`)}`), 1);
      const colours = tty.screen(true);
      assert.match(colours, /^✗ configure: 2 of 3 nodes ok/m);
      assert.doesNotMatch(colours, /\x1b\[[0-9;]*[34][0-9]m/, `${env}${flag}: a colour`);
    }
  });

  test('a terminal is sent a live region (cursor up, clear), except with CI set', async () => {
    const env = { ...process.env };
    delete env['CI'];
    const live = await onPty(forkliftLine('lift app'), dir, env);
    assert.equal(live.code, 0, live.bytes);
    assert.match(live.bytes, /\x1b\[\d+A\r\x1b\[J/);
    assert.match(live.bytes, /\x1b\[\?25l[\s\S]*\x1b\[\?25h/, 'the cursor is hidden, then shown again');
    const ci = await onPty(forkliftLine('lift app'), dir, { ...env, CI: 'true' });
    assert.equal(ci.code, 0, ci.bytes);
    assert.doesNotMatch(ci.bytes, /\x1b\[\d+A|\x1b\[\?25l/);
    // CI on a terminal: the plain lines (coloured: it is a terminal).
    assert.match(stripAnsi(ci.bytes), /^ {2}✓ app-[0-9a-f]{4}: 1 changed in /m);
  });

  test('piped: the plain lines, no escape codes', async () => {
    const r = await cli(['lift']);
    assert.equal(r.code, 1);
    assert.doesNotMatch(r.stderr + r.stdout, /\x1b/);
    const lines = r.stderr.split('\n').filter(Boolean);
    assert.equal(lines[0], '» configure on 3 nodes');
    assert.equal(lines.filter((l) => /^ {2}✓ app-[0-9a-f]{4}: 1 changed in \d+\.\ds$/.test(l)).length, 2, r.stderr);
    assert.ok(lines.some((l) => /^ {2}✗ node bad-[0-9a-f]{4}: action "broken" failed with exit code 3$/.test(l)), r.stderr);
    assert.match(lines.at(-1)!, /^✗ configure: 2 of 3 nodes ok in \d+\.\ds, 2 changed actions, 1 failed \(bad-[0-9a-f]{4}\)$/);
  });

  test('-v: each node\'s script as shown and what its actions printed; -q: only the result', async () => {
    const verbose = await cli(['lift', '-v', 'app']);
    assert.equal(verbose.code, 0, verbose.stderr);
    assert.equal(verbose.stderr.match(/^ {2}┌ app-[0-9a-f]{4}: configure script$/gm)?.length, 2, verbose.stderr);
    assert.match(verbose.stderr, /^ {2}│ # forklift apply script: 1 action$/m);
    assert.match(verbose.stderr, /^ {2}│ sleep 3; echo slept; echo token=\*\*\*$/m, 'the script as shown: the secret as ***');
    assert.match(verbose.stderr, /^ {6}changed {6}slow\n {8}│ slept\n {8}│ token=\*\*\*$/m, 'its output, the secret masked');
    assert.ok(!verbose.stderr.includes(SECRET) && !verbose.stdout.includes(SECRET), 'the secret is never shown');
    const quiet = await cli(['lift', '-q']);
    assert.equal(quiet.code, 1);
    assert.equal(quiet.stderr, '');
    assert.match(quiet.stdout, /^NODE +GROUP/);
    assert.match(quiet.stdout, /\nnode bad-[0-9a-f]{4}: action "broken" failed with exit code 3\n {4}oops\n$/, 'the error is in the result');
  });
});
