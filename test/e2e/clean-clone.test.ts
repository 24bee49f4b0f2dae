// A clean clone stays clean: `npm install` in a fresh clone of this repository (its
// committed HEAD) changes no tracked file (the lock file in particular) and leaves nothing
// untracked that git does not ignore. Needs the npm registry for what npm's cache lacks.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ROOT } from './helpers.ts';

const work = mkdtempSync(join(tmpdir(), 'fl-clone-'));
after(() => rmSync(work, { recursive: true, force: true }));
// npm must not inherit `npm test`'s own settings (prefix, package paths).
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));

function run(cmd: string, args: string[], cwd: string) {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout: 5 * 60_000, maxBuffer: 64 << 20 });
  return { code: r.status ?? 1, stdout: r.stdout ?? '', stderr: `${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

test('npm install in a fresh clone modifies no tracked file', { timeout: 10 * 60_000 }, () => {
  const clone = join(work, 'forklift');
  const cloned = run('git', ['clone', '--quiet', '--no-hardlinks', ROOT, clone], work);
  assert.equal(cloned.code, 0, cloned.stderr);
  const installed = run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], clone);
  assert.equal(installed.code, 0, installed.stderr);
  assert.ok(existsSync(join(clone, 'dist/cli/main.js')), 'npm install builds dist/ (the prepare script)');
  const status = run('git', ['status', '--porcelain', '--untracked-files=all'], clone);
  assert.equal(status.code, 0, status.stderr);
  assert.equal(status.stdout, '', `npm install changed the clone:\n${status.stdout}${run('git', ['diff', '--stat'], clone).stdout}`);
});
