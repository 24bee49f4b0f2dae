// The phase script run for real by sh on this host: records, failure, handlers, check mode.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { parseRecords, renderScript, type Block, type ScriptMode } from '../../src/shell/script.ts';
import { framed, remoteCommand } from '../../src/transport/remote.ts';
import { raw, sh } from '../../src/shell/sh.ts';

const dir = mkdtempSync(join(tmpdir(), 'fl-script-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const at = (name: string) => join(dir, name);
// Pending-handler markers go here, not into this machine's /var/lib/forklift.
process.env.FORKLIFT_PENDING = at('pending');

function run(blocks: Block[], mode: ScriptMode = 'apply') {
  const out = spawnSync('sh', ['-c', remoteCommand('5c0175')], { input: framed(renderScript(blocks, mode).text) });
  return { exitCode: out.status, ...parseRecords(out.stdout), stderr: out.stderr.toString() };
}

const touch = (label: string, name: string): Block => ({ label, steps: [{ check: sh`[ -e ${at(name)} ]`, apply: sh`touch ${at(name)}` }] });

describe('phase script', () => {
  test('a failing action stops the script: later actions do not run; the record has exit code and stderr', () => {
    const r = run([
      touch('first', 'f1'),
      { label: 'boom', steps: [{ check: raw('false'), apply: raw('echo partial; echo "it broke" >&2; exit 7') }] },
      touch('never', 'f3'),
    ]);
    assert.equal(r.exitCode, 7);
    assert.deepEqual(
      r.records.map((x) => [x.index, x.status, x.exitCode]),
      [[0, 'changed', 0], [1, 'failed', 7]],
    );
    assert.equal(r.records[1]!.stderr, 'it broke\n');
    assert.equal(r.records[1]!.stdout, 'partial\n');
    assert.ok(existsSync(at('f1')));
    assert.ok(!existsSync(at('f3')), 'the action after the failure ran');
  });

  test('the capture folder is made when a check first fails, not before: a run that changes nothing makes none', () => {
    // A check that writes down the folder the script has (checks see the script's variables).
    const peek = (name: string): Block => ({ label: `peek ${name}`, steps: [{ check: sh`printf '%s' "$fl_t" >${at(name)}`, apply: raw('true') }] });
    assert.deepEqual(run([touch('t1', 'lazy1'), peek('seen-after-change')]).records.map((x) => x.status), ['changed', 'ok']);
    assert.match(readFileSync(at('seen-after-change'), 'utf8'), /^\/(tmp|dev\/shm|run)\/forklift\./);
    assert.deepEqual(run([touch('t1', 'lazy1'), peek('seen-no-op')]).records.map((x) => x.status), ['ok', 'ok']);
    assert.equal(readFileSync(at('seen-no-op'), 'utf8'), '', 'a no-op run made a capture folder');
  });

  test('an apply runs under set -e: its first failing command fails the action', () => {
    const r = run([{ label: 'multi', steps: [{ apply: sh`ls ${at('no-such')}\ntouch ${at('after-ls')}` }] }]);
    assert.equal(r.records[0]!.status, 'failed');
    assert.equal(r.records[0]!.exitCode, 2);
    assert.match(r.records[0]!.stderr, /no-such/);
    assert.ok(!existsSync(at('after-ls')));
  });

  test('a later step of the same action does not run after an earlier step failed', () => {
    const r = run([{ label: 'two steps', steps: [{ apply: raw('exit 4') }, { apply: sh`touch ${at('step2')}` }] }]);
    assert.deepEqual([r.records.length, r.records[0]!.status, r.records[0]!.exitCode], [1, 'failed', 4]);
    assert.ok(!existsSync(at('step2')));
  });

  test('handlers run only when an action they name changed', () => {
    const r = run([
      { label: 'changes', steps: [{ apply: raw('true') }] },
      { label: 'already fine', steps: [{ check: raw('true'), apply: raw('exit 9') }] },
      { label: 'on fine', steps: [{ apply: sh`touch ${at('h-fine')}` }], onChangeOf: [1] },
      { label: 'on changes', steps: [{ apply: sh`touch ${at('h-changes')}` }], onChangeOf: [0] },
      { label: 'on either', steps: [{ apply: sh`touch ${at('h-either')}` }], onChangeOf: [1, 0] },
    ]);
    assert.equal(r.exitCode, 0);
    assert.deepEqual(
      r.records.map((x) => x.status),
      ['changed', 'ok', 'skipped', 'changed', 'changed'],
    );
    assert.ok(!existsSync(at('h-fine')));
    assert.ok(existsSync(at('h-changes')) && existsSync(at('h-either')));
  });

  test('a handler whose trigger changed is not lost when a later action fails: it runs on the next run', () => {
    const trigger = (content: string): Block => ({ label: 'config', steps: [{ check: sh`[ "$(cat ${at('cfg')} 2>/dev/null)" = ${content} ]`, apply: sh`printf %s ${content} >${at('cfg')}` }] });
    const reload: Block = { label: 'reload', steps: [{ apply: sh`echo reloaded >>${at('reloads')}` }], onChangeOf: [0] };
    const gate = (ok: boolean): Block => ({ label: 'gate', steps: [{ apply: raw(ok ? 'true' : 'exit 4') }] });
    // the config changes, then the gate fails before the handler's turn
    const failed = run([trigger('v2'), gate(false), reload]);
    assert.equal(failed.exitCode, 4);
    assert.deepEqual(failed.records.map((x) => x.status), ['changed', 'failed']);
    assert.ok(!existsSync(at('reloads')));
    // next run: the config is already right, yet the reload it owed runs, once
    const next = run([trigger('v2'), gate(true), reload]);
    assert.deepEqual(next.records.map((x) => x.status), ['ok', 'changed', 'changed']);
    assert.equal(readFileSync(at('reloads'), 'utf8'), 'reloaded\n');
    const after = run([trigger('v2'), gate(true), reload]);
    assert.deepEqual(after.records.map((x) => x.status), ['ok', 'changed', 'skipped']);
    assert.equal(readFileSync(at('reloads'), 'utf8'), 'reloaded\n');
  });

  test('output that contains the record marker is attributed to its action, not parsed as a record', () => {
    const fake = '\n@@forklift 0 ok 0 0 0\n';
    const r = run([
      { label: 'liar', steps: [{ apply: sh`printf '%s' ${fake}; printf '%s' ${fake} >&2; printf '\\n@@forklift 5 failed 1 99 99\\n'` }] },
      { label: 'next', steps: [{ check: raw('true'), apply: raw('false') }] },
    ]);
    assert.equal(r.exitCode, 0);
    assert.deepEqual(
      r.records.map((x) => [x.index, x.status]),
      [[0, 'changed'], [1, 'ok']],
    );
    assert.equal(r.records[0]!.stdout, `${fake}\n@@forklift 5 failed 1 99 99\n`);
    assert.equal(r.records[0]!.stderr, fake);
    assert.equal(r.rest.trim(), '');
  });

  test('an action reading stdin gets nothing and cannot swallow the rest of the script', () => {
    const r = run([{ label: 'reader', steps: [{ apply: raw('cat; read x || true') }] }, touch('after reader', 'after-reader')]);
    assert.deepEqual(r.records.map((x) => x.status), ['changed', 'changed']);
    assert.equal(r.records[0]!.stdout, '');
    assert.ok(existsSync(at('after-reader')));
  });

  test('check mode runs the checks but no apply, and reports what would change', () => {
    run([touch('make present', 'present')]);
    const r = run(
      [
        touch('missing', 'cm-missing'),
        touch('present', 'present'),
        { label: 'no check', steps: [{ apply: sh`touch ${at('cm-nocheck')}` }] },
        { label: 'handler', steps: [{ apply: sh`touch ${at('cm-handler')}` }], onChangeOf: [0] },
        { label: 'would fail', steps: [{ check: raw('false'), apply: raw('exit 3') }] },
      ],
      'check',
    );
    assert.equal(r.exitCode, 0);
    assert.deepEqual(
      r.records.map((x) => x.status),
      ['would-change', 'ok', 'would-change', 'would-change', 'would-change'],
    );
    for (const f of ['cm-missing', 'cm-nocheck', 'cm-handler']) assert.ok(!existsSync(at(f)), `${f} was applied in check mode`);
  });

});
