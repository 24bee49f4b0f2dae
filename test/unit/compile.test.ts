// Loading a stack file leaves nothing beside it: the bundle is imported from memory, also
// when forklift is killed while the file loads; the file sees its own import.meta. The
// compiled code is kept in the user's private cache and used until a file it was made
// from changes.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, test } from 'node:test';
import { importTypeScript } from '../../src/config/compile.ts';
import { BIN, waitFor } from '../e2e/helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'fl-compile-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('stack file loading', () => {
  test('a stack file and the files it imports load from memory, with their own import.meta', async () => {
    const at = join(dir, 'own');
    mkdirSync(join(at, 'lib'), { recursive: true });
    writeFileSync(join(at, 'lib', 'secret.ts'), `export const password: string = 'hunter2';\n`);
    writeFileSync(
      join(at, 'forklift.config.ts'),
      `import { password } from './lib/secret.ts';
import { readFileSync } from 'node:fs';
export const url = import.meta.url, dirname = import.meta.dirname, filename = import.meta.filename;
export const sibling = new URL('./lib/secret.ts', import.meta.url).pathname;
export const text = readFileSync(sibling, 'utf8').length;
export default { password };
`,
    );
    const before = readdirSync(at).sort();
    const mod = await importTypeScript(join(at, 'forklift.config.ts'));
    assert.deepEqual(mod.default, { password: 'hunter2' });
    assert.equal(mod.url, pathToFileURL(join(at, 'forklift.config.ts')).href);
    assert.equal(mod.dirname, at);
    assert.equal(mod.filename, join(at, 'forklift.config.ts'));
    assert.equal(mod.sibling, join(at, 'lib', 'secret.ts'));
    assert.ok((mod.text as number) > 0);
    assert.deepEqual(readdirSync(at).sort(), before, 'nothing was written beside the stack file');
  });

  test('forklift killed (SIGKILL) while the stack file loads leaves no compiled bundle behind', async () => {
    const at = join(dir, 'killed');
    mkdirSync(at);
    const marker = join(at, 'loading');
    writeFileSync(
      join(at, 'forklift.config.ts'),
      `import { writeFileSync } from 'node:fs';
const secret: string = 'hunter2';
writeFileSync(${JSON.stringify(marker)}, secret);
await new Promise((resolve) => setTimeout(resolve, 120_000));
export default {};
`,
    );
    const child = spawn(process.execPath, [BIN, 'nodes', '-f', join(at, 'forklift.config.ts')], { stdio: 'ignore' });
    const exited = new Promise((done) => child.once('exit', done));
    await waitFor('the stack file to be loading', () => (existsSync(marker) ? true : undefined));
    const others = () => readdirSync(at).filter((f) => f !== 'forklift.config.ts' && f !== 'loading');
    assert.deepEqual(others(), [], 'a bundle is on disk while the file loads');
    child.kill('SIGKILL');
    await exited;
    assert.deepEqual(others(), [], 'a bundle was left behind');
  });

  test('the compiled code is kept in a private cache and used until the stack file, a file it imports or a package it resolves changes; FORKLIFT_CACHE=off keeps nothing', async () => {
    const at = join(dir, 'cached');
    const cache = join(dir, 'xdg-cache');
    mkdirSync(join(at, 'lib'), { recursive: true });
    const saved = { xdg: process.env['XDG_CACHE_HOME'], off: process.env['FORKLIFT_CACHE'] };
    process.env['XDG_CACHE_HOME'] = cache;
    delete process.env['FORKLIFT_CACHE'];
    try {
      // A package of the stack's own (node_modules beside it): external, imported as it is.
      mkdirSync(join(at, 'node_modules', 'kind'), { recursive: true });
      writeFileSync(join(at, 'node_modules', 'kind', 'package.json'), '{ "name": "kind", "type": "module", "exports": "./index.js" }\n');
      writeFileSync(join(at, 'node_modules', 'kind', 'index.js'), `export const kind = 'a';\n`);
      writeFileSync(join(at, 'lib', 'value.ts'), `export const value: number = 1;\n`);
      writeFileSync(join(at, 'forklift.config.ts'), `import { value } from './lib/value.ts';\nimport { kind } from 'kind';\nexport default { value, kind };\n`);
      const load = async () => (await importTypeScript(join(at, 'forklift.config.ts'))).default;
      assert.deepEqual(await load(), { value: 1, kind: 'a' });
      const stacks = join(cache, 'forklift', 'stacks');
      assert.equal(statSync(stacks).mode & 0o777, 0o700);
      const [entry, ...more] = readdirSync(stacks);
      assert.deepEqual(more, [], 'one entry per stack file');
      assert.equal(statSync(join(stacks, entry!)).mode & 0o777, 0o600);
      const mtime = () => statSync(join(stacks, entry!)).mtimeMs;
      const written = mtime();
      assert.deepEqual(await load(), { value: 1, kind: 'a' });
      assert.equal(mtime(), written, 'the second load compiled nothing');
      // The same size, another value: a changed import is seen.
      writeFileSync(join(at, 'lib', 'value.ts'), `export const value: number = 2;\n`);
      assert.deepEqual(await load(), { value: 2, kind: 'a' });
      assert.notEqual(mtime(), written);
      // The package's package.json now points at another file: compiled again, and that file is imported.
      const before = mtime();
      writeFileSync(join(at, 'node_modules', 'kind', 'other.js'), `export const kind = 'b';\n`);
      writeFileSync(join(at, 'node_modules', 'kind', 'package.json'), '{ "name": "kind", "type": "module", "exports": "./other.js" }\n');
      assert.deepEqual(await load(), { value: 2, kind: 'b' });
      assert.notEqual(mtime(), before);

      process.env['FORKLIFT_CACHE'] = 'off';
      process.env['XDG_CACHE_HOME'] = join(dir, 'xdg-off');
      writeFileSync(join(at, 'lib', 'value.ts'), `export const value: number = 3;\n`);
      assert.deepEqual(await load(), { value: 3, kind: 'b' });
      assert.equal(existsSync(join(dir, 'xdg-off')), false, 'FORKLIFT_CACHE=off writes no cache');
    } finally {
      for (const [key, value] of [['XDG_CACHE_HOME', saved.xdg], ['FORKLIFT_CACHE', saved.off]] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });
});
