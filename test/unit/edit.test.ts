// line and block against a model of their rules, run for real on this host (grep and awk
// as on a node, through the phase script): any file of hostile lines ends as the model
// says, byte for byte, with its mode kept; the second run is ok; and a symbolic link's
// target is what gets edited.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import { block, line, type Action } from '../../src/actions/index.ts';
import { planContext } from '../../src/engine/phase.ts';
import { buildPhaseScript } from '../../src/engine/script.ts';
import { parseRecords } from '../../src/shell/script.ts';
import { framed, remoteCommand } from '../../src/transport/remote.ts';
import { plan } from '../../src/spec/plan.ts';

process.env.FORKLIFT_PENDING = mkdtempSync(join(tmpdir(), 'fl-pending-'));
const dir = mkdtempSync(join(tmpdir(), "fl-edit '$(x)-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const target = { node: { name: 'local', group: 'g', address: '127.0.0.1' }, os: { family: 'debian', version: '12' } };
const ref = { id: 'local', name: 'local', group: 'g', address: '127.0.0.1', roles: [] };

async function record(a: Action) {
  const { script } = await buildPhaseScript(plan(a), planContext('s', 'configure', ref, [ref]), target);
  const out = spawnSync('sh', ['-c', remoteCommand('ed17')], { input: framed(script.text) });
  const { records } = parseRecords(out.stdout);
  assert.equal(records.length, 1, out.stderr.toString());
  return records[0]!;
}
async function run(a: Action): Promise<string> {
  const r = await record(a);
  assert.notEqual(r.status, 'failed', r.stderr);
  return r.status;
}

/** Pieces lines are made of: shell and awk specials, the pattern's own prefix, markers. */
const PIECES = [...'\'"`$\\%&;|*?[](){}<>#=: \t\r~', 'k', 'k1=', 'key', '-e', '\\n', 'é', '😀', '# BEGIN forklift b', '# END forklift b'];
const aLine = fc.array(fc.constantFrom(...PIECES), { maxLength: 6 }).map((p) => p.join(''));
const aFile = fc.record({
  lines: fc.array(fc.oneof({ arbitrary: aLine, weight: 4 }, fc.constantFrom('k1=old', '# BEGIN forklift b', '# END forklift b')), { maxLength: 8 }),
  newline: fc.boolean(),
});
const text = (f: { lines: string[]; newline: boolean }) => (f.lines.length ? f.lines.join('\n') + (f.newline ? '\n' : '') : '');
const linesOf = (t: string) => (t === '' ? [] : t.replace(/\n$/, '').split('\n'));
const written = (lines: string[]) => lines.map((l) => `${l}\n`).join('');

// The rules of docs/reference.md. `^k[0-9]*=` means the same to grep -E and to JavaScript.
const MATCH = '^k[0-9]*=';
function modelLine(before: string[], want: string, withMatch: boolean, state: 'present' | 'absent'): string[] {
  const owned = (l: string) => l === want || (withMatch && /^k[0-9]*=/.test(l));
  if (state === 'absent') return before.filter((l) => !owned(l));
  const first = before.findIndex(owned);
  if (first < 0) return [...before, want];
  return before.flatMap((l, i) => (i === first ? [want] : owned(l) ? [] : [l]));
}
function modelBlock(before: string[], content: string[], state: 'present' | 'absent'): string[] | 'unclosed' {
  const [b, e] = ['# BEGIN forklift b', '# END forklift b'];
  const out: string[] = [];
  let inside = false;
  let done = false;
  for (const l of before) {
    if (inside) inside = l !== e;
    else if (l === b) {
      if (state === 'present' && !done) out.push(b, ...content, e);
      done = inside = true;
    } else out.push(l);
  }
  if (inside) return 'unclosed';
  if (state === 'present' && !done) out.push(b, ...content, e);
  return out;
}

let n = 0;
function seed(content: string): string {
  const path = join(dir, `f ${n++} '$(id)'`);
  writeFileSync(path, content);
  chmodSync(path, 0o640);
  return path;
}

describe('line and block on this host, against the model', () => {
  test('line, present or absent, with and without match: as the model, mode kept, then ok', async () => {
    await fc.assert(
      fc.asyncProperty(aFile, aLine.filter((l) => l !== ''), fc.boolean(), fc.constantFrom('present' as const, 'absent' as const), async (f, want, withMatch, state) => {
        const path = seed(text(f));
        const a = line(path, { line: want, state, ...(withMatch ? { match: MATCH } : {}) });
        const expected = modelLine(linesOf(text(f)), want, withMatch, state);
        const changed = written(expected) !== text(f);
        assert.equal(await run(a), changed ? 'changed' : 'ok');
        assert.equal(readFileSync(path, 'utf8'), written(expected));
        assert.equal(statSync(path).mode & 0o777, 0o640);
        assert.equal(await run(a), 'ok');
      }),
      { numRuns: 50 },
    );
  });

  test('block, present or absent: as the model, then ok; an unclosed block fails and leaves the file', async () => {
    await fc.assert(
      fc.asyncProperty(aFile, fc.array(aLine.filter((l) => !l.startsWith('# ') || !l.includes('forklift b')), { maxLength: 4 }), fc.constantFrom('present' as const, 'absent' as const), async (f, content, state) => {
        const path = seed(text(f));
        const a = block(path, 'b', state === 'present' ? { content: written(content) } : { state });
        const expected = modelBlock(linesOf(text(f)), content, state);
        if (expected === 'unclosed') {
          const r = await record(a);
          assert.deepEqual([r.status, r.exitCode], ['failed', 3]);
          assert.match(r.stderr, /a begin marker has no end marker/);
          assert.equal(readFileSync(path, 'utf8'), text(f));
          return;
        }
        assert.equal(await run(a), written(expected) !== text(f) ? 'changed' : 'ok');
        assert.equal(readFileSync(path, 'utf8'), written(expected));
        assert.equal(await run(a), 'ok');
      }),
      { numRuns: 50 },
    );
  });

  test('a symbolic link is followed: its target is edited, the link stays', async () => {
    const real = seed('a\n');
    const link = join(dir, 'link');
    symlinkSync(real, link);
    assert.equal(await run(line(link, { line: 'b' })), 'changed');
    assert.ok(lstatSync(link).isSymbolicLink());
    assert.equal(readFileSync(real, 'utf8'), 'a\nb\n');
  });
});
