// Files from the operator's repository: templates and apt keys are read when the action is
// constructed, so a missing file, a missing variable or a key that is not a key is one line
// naming the action before any node is touched; from a stack file, `forklift` prints it and
// exits 1. A crate in a subfolder finds its template beside itself (import.meta.url).
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { aptRepository, template, type FileArgs } from '../../src/actions/index.ts';
import { asArmoredKey } from '../../src/actions/openpgp.ts';
import { loadConfig } from '../../src/config/load.ts';
import { planContext } from '../../src/engine/phase.ts';
import { SpecError } from '../../src/errors.ts';
import { Secret, secret } from '../../src/shell/sh.ts';
import { planActions } from '../../src/spec/plan.ts';
import { phasePlan } from '../../src/spec/server.ts';
import { forklift, stackDir } from '../e2e/helpers.ts';

const FILES = join(import.meta.dirname, '../fixtures/actions');
const KEYS = join(FILES, 'aptRepository/files');
const specError = (message: string) => (e: unknown) => {
  assert.ok(e instanceof SpecError, String(e));
  assert.equal(e.message, message);
  return true;
};
const repo = (key: string | URL) => aptRepository('vendor', { uris: 'https://apt.example.com', suites: 'stable', components: 'main', key });

describe('template', () => {
  it('a template that does not exist is one line naming the action and the path', () => {
    const missing = join(FILES, 'template/files/nginx.conf.liquid');
    assert.throws(() => template('/etc/nginx/nginx.conf', pathToFileURL(missing)), specError(`template /etc/nginx/nginx.conf: source: ${missing}: no such file`));
    assert.throws(() => template('/etc/x', join(FILES, 'template')), specError(`template /etc/x: source: ${join(FILES, 'template')}: is a directory`));
    assert.throws(() => template('/etc/x', new URL('https://example.com/x.liquid')), specError('template /etc/x: source: https://example.com/x.liquid is not a file: URL'));
  });

  it('takes a file: URL or an absolute path; a secret value makes the whole file secret', () => {
    const a = template('/etc/motd', join(FILES, 'template/files/motd.liquid'), { vars: { text: 'hello' } });
    assert.equal((a.args as FileArgs).content, 'motd hello\n');
    const b = template('/etc/c', pathToFileURL(join(FILES, 'template/files/credentials.liquid')).href, { vars: { user: 'u', password: secret('p4ss') } });
    const content = (b.args as FileArgs).content;
    assert.ok(content instanceof Secret);
    assert.equal(content.value, 'user=u\npassword=p4ss\n');
    assert.equal(String(content), '***');
  });
});

describe('aptRepository keys', () => {
  it('a local key file is stored armored; a binary key is armored exactly as gpg does', () => {
    const armored = readFileSync(join(KEYS, 'key.asc'), 'utf8');
    assert.deepEqual(asArmoredKey(readFileSync(join(KEYS, 'key.gpg'))), { ok: true, armored });
    assert.deepEqual(asArmoredKey(Buffer.from(`\n${armored}`)), { ok: true, armored });
  });

  it('a key file that is not a key, a private key or a missing file is one line naming the action and the path', () => {
    const notKey = join(KEYS, 'not-a-key.txt');
    assert.throws(() => repo(notKey), specError(`aptRepository vendor: key: ${notKey} is not an OpenPGP public key (neither armored "-----BEGIN PGP PUBLIC KEY BLOCK-----" nor a binary key packet)`));
    const dir = stackDir('');
    const priv = join(dir, 'private.asc');
    writeFileSync(priv, '-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQ==\n-----END PGP PRIVATE KEY BLOCK-----\n');
    assert.throws(() => repo(priv), specError(`aptRepository vendor: key: ${priv} is a private key; apt needs the public key`));
    const truncated = join(dir, 'truncated.asc');
    writeFileSync(truncated, readFileSync(join(KEYS, 'key.asc'), 'utf8').split('\n').slice(0, 4).join('\n'));
    assert.throws(() => repo(pathToFileURL(truncated)), specError(`aptRepository vendor: key: ${truncated} has "-----BEGIN PGP PUBLIC KEY BLOCK-----" but no "-----END PGP PUBLIC KEY BLOCK-----"`));
    const garbage = join(dir, 'garbage.asc');
    writeFileSync(garbage, '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\naGVsbG8=\n-----END PGP PUBLIC KEY BLOCK-----\n');
    assert.throws(() => repo(garbage), specError(`aptRepository vendor: key: ${garbage} is an armored block that holds no public key packet`));
    assert.throws(() => repo(join(dir, 'nope.asc')), specError(`aptRepository vendor: key: ${join(dir, 'nope.asc')}: no such file`));
  });
});

describe('from a stack file', () => {
  const stack = (configure: string, imports = 'template') => `import { defineConfig, groupSpec, plan, ${imports} } from 'forklift';
export default defineConfig({ stack: 'repo-files', groups: [groupSpec('web', { phases: { configure: plan(${configure}) } })] });
`;

  it('a missing template variable: forklift exits 1 with one line naming the file, the action and the variable', async () => {
    const dir = stackDir(stack(`template('/etc/app.conf', new URL('./app.conf.liquid', import.meta.url), { vars: { name: 'web' } })`));
    writeFileSync(join(dir, 'app.conf.liquid'), '# {{ name }}\nlisten {{ port }};\n');
    const run = await forklift(['check'], dir);
    assert.equal(run.code, 1, run.stderr);
    assert.equal(run.stderr, 'forklift: forklift.config.ts: template /etc/app.conf: variable "port" is missing (app.conf.liquid, line 2)\n');
  });

  it('a missing template file and a key that is not a key: one line each', async () => {
    const dir = stackDir(stack(`template('/etc/app.conf', new URL('./templates/app.conf.liquid', import.meta.url))`));
    const run = await forklift(['check'], dir);
    assert.equal(run.code, 1, run.stderr);
    assert.equal(run.stderr, `forklift: forklift.config.ts: template /etc/app.conf: source: ${join(dir, 'templates/app.conf.liquid')}: no such file\n`);
    const keyDir = stackDir(stack(`aptRepository('vendor', { uris: 'https://apt.example.com', suites: 'stable', components: 'main', key: new URL('./vendor.asc', import.meta.url) })`, 'aptRepository'));
    writeFileSync(join(keyDir, 'vendor.asc'), '<html>404 Not Found</html>\n');
    const bad = await forklift(['check'], keyDir);
    assert.equal(bad.code, 1, bad.stderr);
    assert.match(bad.stderr, /^forklift: forklift\.config\.ts: aptRepository vendor: key: \S+\/vendor\.asc is not an OpenPGP public key \(neither armored/);
  });

  it('a crate in a subfolder renders the template beside itself (import.meta.url is each file’s own)', async () => {
    const dir = stackDir(`import { defineConfig, groupSpec, plan } from 'forklift';
import { motd } from './crates/motd/index.ts';
export default defineConfig({ stack: 'repo-files', groups: [groupSpec('web', { phases: { configure: plan(motd('hi')) } })] });
`);
    mkdirSync(join(dir, 'crates/motd'), { recursive: true });
    writeFileSync(join(dir, 'crates/motd/index.ts'), `import { template } from 'forklift';
export const motd = (text: string) => template('/etc/motd', new URL('./motd.liquid', import.meta.url), { vars: { text, dir: import.meta.dirname } });
`);
    writeFileSync(join(dir, 'crates/motd/motd.liquid'), 'motd {{ text }} from {{ dir }}\n');
    const config = await loadConfig('forklift.config.ts', dir);
    const ref = { id: 'i', name: 'web-1', group: 'web', address: '10.0.3.10', roles: [] };
    const [motdFile] = await planActions(phasePlan(config.groups[0]!, 'configure'), planContext('repo-files', 'configure', ref, [ref]));
    assert.equal((motdFile!.args as FileArgs).content, `motd hi from ${join(dir, 'crates/motd')}\n`);
  });
});
