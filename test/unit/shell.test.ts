// Quoting by construction: any string but NUL survives a real `sh -c` byte for byte,
// arrays become several arguments, secrets run but never show. Then the file action,
// with hostile content, run for real on this host through the phase script.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import { absent, directory, execChecked, file, symlink } from '../../src/actions/index.ts';
import { planContext } from '../../src/engine/phase.ts';
import { buildPhaseScript } from '../../src/engine/script.ts';
import { parseRecords } from '../../src/shell/script.ts';
import { framed, remoteCommand } from '../../src/transport/remote.ts';
import { quote, raw, secret, sh, type Cmd } from '../../src/shell/sh.ts';
import { plan } from '../../src/spec/plan.ts';
import { runLocally } from '../fake/local.ts';

/** Characters a shell treats specially, so generated strings hit them often. */
const HOSTILE = [..."'\"`$\\!*?[]{}()<>|&;#~=%:,@+- \t\n\r", 'é', '€', '😀', 'x', '-', '--', '\u00a0', '\u2028'];
const noNul = fc
  .oneof(fc.string({ unit: 'binary' }), fc.string({ unit: fc.constantFrom(...HOSTILE), maxLength: 40 }))
  .filter((s) => !s.includes('\0'));

// Pending-handler markers of scripts run here go to a temp dir, not this machine's /var/lib/forklift.
process.env.FORKLIFT_PENDING = mkdtempSync(join(tmpdir(), 'fl-pending-'));

function runSh(cmd: Cmd): Buffer {
  return execFileSync('sh', ['-c', cmd.text]);
}

describe('quote and sh', () => {
  test('any string without NUL survives sh -c byte for byte', () => {
    fc.assert(
      fc.property(noNul, (s) => {
        assert.equal(sh`printf '%s' ${s}`.text, `printf '%s' ${quote(s)}`);
        assert.deepEqual(execFileSync('sh', ['-c', `printf '%s' ${quote(s)}`]), Buffer.from(s, 'utf8'));
      }),
      { numRuns: 200 },
    );
  });

  test('a quoted value is one word: no splitting, globbing, expansion or option parsing by the shell', () => {
    for (const s of ['', ' ', 'a b', '*', '$HOME', '$(id)', '`id`', "'", '\\', '\n', '-n', 'a=b', '~', '#x']) {
      assert.equal(runSh(sh`for a in ${s}; do printf '[%s]' "$a"; done`).toString(), `[${s}]`);
    }
  });

  test('an array becomes several arguments, each intact', () => {
    fc.assert(
      fc.property(fc.array(noNul, { maxLength: 8 }), (list) => {
        const out = runSh(sh`printf '%s\\0' x ${list}`);
        assert.deepEqual(out, Buffer.concat(['x', ...list].map((s) => Buffer.from(`${s}\0`, 'utf8'))));
      }),
      { numRuns: 100 },
    );
    assert.equal(sh`rm -f ${['a b', 'c']}`.text, "rm -f 'a b' c");
    assert.equal(sh`ls ${[]}`.text, 'ls ');
  });

  test('numbers and booleans are values too; raw() and nested Cmds are not re-quoted', () => {
    assert.equal(sh`sleep ${5} ${true}`.text, 'sleep 5 true');
    const inner = sh`echo ${'a b'}`;
    assert.equal(sh`${inner} | ${raw('wc -c')}`.text, "echo 'a b' | wc -c");
  });

  test('a secret renders into text but shows as *** everywhere a user can see it', () => {
    const pw = "p@ss w'rd $(id)";
    const cmd = sh`chpasswd <<< ${secret(pw)} && echo ${'done'}`;
    assert.equal(cmd.text, `chpasswd <<< ${quote(pw)} && echo done`);
    assert.equal(cmd.shown, 'chpasswd <<< *** && echo done');
    assert.equal(String(cmd), cmd.shown);
    assert.equal(`${cmd}`, cmd.shown);
    for (const seen of [JSON.stringify(cmd), JSON.stringify({ cmd, s: secret(pw) }), inspect(cmd), inspect(secret(pw)), String(secret(pw))]) {
      assert.ok(!seen.includes('p@ss'), `secret leaked into: ${seen}`);
      assert.ok(seen.includes('***'), seen);
    }
    // Nested: a Cmd holding a secret keeps it masked inside another template.
    const outer = sh`sh -c ${raw("'")}${cmd}${raw("'")}`;
    assert.ok(!outer.shown.includes('p@ss') && outer.text.includes(quote(pw)));
    // And the secret really runs.
    assert.equal(runSh(sh`printf '%s' ${secret(pw)}`).toString(), pw);
  });
});

describe('file action on this host, hostile content', () => {
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const target = { node: { name: 'local', group: 'g', address: '127.0.0.1' }, os: { family: 'debian', version: '12' } };
  const ref = { id: 'local', name: 'local', group: 'g', address: '127.0.0.1', roles: [] };

  async function runFile(path: string, content: string, mode: string) {
    const { script, sources } = await buildPhaseScript(plan(file(path, { content, mode })), planContext('s', 'configure', ref, [ref]), target);
    // Content over 64 KiB is streamed: the script asks for it over its stdin, as over SSH.
    const out = await runLocally(script.text, sources);
    assert.equal(out.status, 0, out.stderr.toString());
    const { records, rest } = parseRecords(out.stdout);
    assert.equal(records.length, 1, `records: ${JSON.stringify(records)} rest: ${rest}`);
    return records[0]!;
  }

  const fixed = [
    "it's \"quoted\" $(touch /tmp/forklift-pwned) `touch /tmp/forklift-pwned` $HOME ${HOME}\n",
    'line\n\n\n',
    '-n -e leading dash\\c',
    '%s %d %% %b \\n \\0 \\\\',
    'non-ASCII: é ü 日本 😀 \u2028\r\n',
    '',
    'no trailing newline',
    '\n',
    "'\n'\n'",
    'x'.repeat(200_000),
  ];

  test('fixed hostile contents: byte-exact, changed then ok, mode applied', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fl-shell-'));
    dirs.push(dir);
    for (const [i, content] of fixed.entries()) {
      const path = join(dir, `sub dir ${i}`, "x'$(id)");
      const first = await runFile(path, content, '0640');
      assert.equal(first.status, 'changed', `case ${i}: ${first.stderr}`);
      assert.deepEqual(readFileSync(path), Buffer.from(content, 'utf8'), `case ${i}`);
      assert.equal(statSync(path).mode & 0o7777, 0o640, `case ${i}`);
      const second = await runFile(path, content, '0640');
      assert.equal(second.status, 'ok', `case ${i}`);
      const third = await runFile(path, content, '0600');
      assert.equal(third.status, 'changed', `case ${i}: mode alone is a change`);
      assert.equal(statSync(path).mode & 0o7777, 0o600);
    }
    assert.throws(() => statSync('/tmp/forklift-pwned'), /ENOENT/);
  });

  test('any content without NUL is written byte for byte, and the second run is ok', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fl-shell-prop-'));
    dirs.push(dir);
    let n = 0;
    await fc.assert(
      fc.asyncProperty(noNul, async (content) => {
        const path = join(dir, `f${n++}`);
        assert.equal((await runFile(path, content, '0644')).status, 'changed');
        assert.deepEqual(readFileSync(path), Buffer.from(content, 'utf8'));
        assert.equal((await runFile(path, content, '0644')).status, 'ok');
      }),
      { numRuns: 40 },
    );
  });
});

describe('hostile paths through every path-taking action, run on this host', () => {
  const target = { node: { name: 'local', group: 'g', address: '127.0.0.1' }, os: { family: 'debian', version: '12' } };
  const ref = { id: 'local', name: 'local', group: 'g', address: '127.0.0.1', roles: [] };
  const dir = mkdtempSync(join(tmpdir(), 'fl-paths-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** A file name: no NUL or '/', not . or .., at most 200 bytes, and valid UTF-8 (names come back from the file system as UTF-8). */
  const segment = noNul.filter((s) => s !== '' && s !== '.' && s !== '..' && !s.includes('/') && Buffer.byteLength(s) <= 200 && Buffer.from(s).toString() === s);

  async function run(item: Parameters<typeof plan>[0]) {
    const { script } = await buildPhaseScript(plan(item), planContext('s', 'configure', ref, [ref]), target);
    const out = spawnSync('sh', ['-c', remoteCommand('5c0175')], { input: framed(script.text) });
    assert.equal(out.status, 0, out.stderr.toString() + out.stdout.toString());
    return parseRecords(out.stdout).records.map((r) => r.status);
  }

  test('directory, file, symlink, execChecked(creates) and absent act on exactly the named path: changed, then ok', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(segment, async (seg) => {
        const base = join(dir, `case${n++}`);
        const path = join(base, seg);
        const actions = [
          directory(path, { mode: '0750' }),
          file(join(path, 'f'), { content: seg }),
          symlink(join(base, 'link'), seg),
          execChecked('mark', sh`touch ${join(path, 'made')}`, { creates: join(path, 'made') }),
          // a file whose parent directories do not exist yet, the last one named seg
          file(join(base, 'new', seg, 'g'), { content: 'g' }),
        ];
        assert.deepEqual(await run(actions), ['changed', 'changed', 'changed', 'changed', 'changed']);
        assert.equal(readFileSync(join(base, 'new', seg, 'g'), 'utf8'), 'g');
        assert.deepEqual(readdirSync(base).sort(), ['link', 'new', seg].sort());
        assert.equal(statSync(path).mode & 0o7777, 0o750);
        assert.equal(readFileSync(join(path, 'f'), 'utf8'), seg);
        assert.equal(readlinkSync(join(base, 'link')), seg);
        assert.deepEqual(readdirSync(path).sort(), ['f', 'made']);
        assert.deepEqual(await run(actions), ['ok', 'ok', 'ok', 'ok', 'ok']);
        assert.deepEqual(await run(absent(path)), ['changed']);
        assert.deepEqual(readdirSync(base).sort(), ['link', 'new']);
        assert.deepEqual(await run(absent(path)), ['ok']);
      }),
      // Names that once broke an action (a trailing newline vanishes in $(...)) always run.
      { numRuns: 40, examples: [['\n'], ['x\n\n'], ['-n'], [' '], ['*'], ["'"], ['$(id)']] },
    );
  });
});
