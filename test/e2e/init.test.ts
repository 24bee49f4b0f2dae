// forklift init as a new user meets it: an empty folder, `forklift init`, then
// `npx forklift converge app=1` on a real local node, a type check, and destroy. forklift
// comes into the folder as init puts it there: npm install links this checkout (the
// registry does not have it; an installed forklift would depend on its own version).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { BIN, ROOT } from './helpers.ts';
import { ssh, stackName } from './nodes.ts';

const stack = stackName('tini');
const work = mkdtempSync(join(tmpdir(), 'fl-init-'));
const app = join(work, 'app');
after(() => rmSync(work, { recursive: true, force: true }));

// A nested npm must not inherit `npm test`'s own settings; npm's cache answers what it can.
const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_'))), npm_config_prefer_offline: 'true' };
const run = (cmd: string, args: string[], cwd = app) => {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout: 5 * 60_000 });
  return { code: r.status ?? 1, stdout: r.stdout ?? '', stderr: `${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
};

describe('forklift init, then converge at once', { timeout: 10 * 60_000 }, () => {
  test('init writes a stack of one group and installs forklift into the folder', () => {
    const r = run(process.execPath, [BIN, 'init', 'app', '--stack', stack], work);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^wrote forklift\\.config\\.ts, package\\.json, tsconfig\\.json, \\.gitignore in app \\(stack ${stack}, group app\\)\\nnext:\\n  cd app\\n  npx forklift converge app=1 +# one node of group app, bootstrapped and configured\\n`));
    assert.match(r.stderr, /^installing forklift \(file:\S+\) and typescript: npm install$/m);
    const pkg = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8'));
    assert.equal(pkg.dependencies.forklift, `file:${ROOT}`);
    assert.equal(realpathSync(join(app, 'node_modules/forklift')), realpathSync(ROOT));
    assert.ok(existsSync(join(app, 'node_modules/.bin/tsc')), 'typescript is installed');
  });

  let address = '';
  test('npx forklift converge app=1 makes and configures the node', () => {
    const r = run('npx', ['forklift', 'converge', 'app=1']);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, /^» 1 node to create$/m);
    assert.match(r.stderr, /^✓ configure: 1 node in \d+\.\ds, 1 changed action$/m);
    const row = /^(app-[0-9a-f]{4}) +app +(\S+) +created +1$/m.exec(r.stdout);
    assert.ok(row, r.stdout);
    address = row[2]!;
    const motd = ssh(address, 'cat /etc/motd');
    assert.equal(motd.stdout, `${row[1]}, group app of stack ${stack}: configured by forklift\n`, motd.stderr);
    const again = run('npx', ['forklift', 'lift', '-q']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /\n1 node, 0 changed actions\n$/);
  });

  test('the project type-checks (npm run typecheck)', () => {
    const r = run('npm', ['run', '--silent', 'typecheck']);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  });

  test('npx forklift destroy removes the node', () => {
    assert.ok(address, 'converge made no node');
    const r = run('npx', ['forklift', 'destroy', '--yes']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^removed app-[0-9a-f]{4} \(app\) /);
    const nodes = run('npx', ['forklift', 'nodes']);
    assert.equal(nodes.stdout, 'no nodes\n');
  });
});
