// Loading a stack file leaves nothing on disk: the bundle is imported from memory, also
// when forklift is killed while the file loads; the file sees its own import.meta.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
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
});
