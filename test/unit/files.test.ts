// Files from the repo, run for real on this host through the phase script and the
// transport's feeding (test/fake/local.ts): content streamed only when the check fails,
// byte-exact with NUL bytes, small text inline; a folder mirrored (delete, modes); the
// need scanner never mistakes what an action printed for a request.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import { directory, file } from '../../src/actions/index.ts';
import { planContext } from '../../src/engine/phase.ts';
import { buildPhaseScript } from '../../src/engine/script.ts';
import { parseRecords } from '../../src/shell/script.ts';
import { NeedScanner } from '../../src/shell/stream.ts';
import { plan, type PlanItem } from '../../src/spec/plan.ts';
import { runLocally } from '../fake/local.ts';

process.env.FORKLIFT_PENDING ??= mkdtempSync(join(tmpdir(), 'fl-pending-'));

const target = { node: { name: 'local', group: 'g', address: '127.0.0.1' }, os: { family: 'debian', version: '12' } };
const ref = { id: 'local', name: 'local', group: 'g', address: '127.0.0.1', roles: [] };
const dir = mkdtempSync(join(tmpdir(), 'fl-files-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function run(item: PlanItem) {
  const built = await buildPhaseScript(plan(item), planContext('s', 'configure', ref, [ref]), target);
  const out = await runLocally(built.script.text, built.sources);
  const { records } = parseRecords(out.stdout);
  assert.equal(out.status, 0, `${out.stderr}${records.map((r) => r.stderr).join('')}`);
  return { statuses: records.map((r) => r.status), records, streamed: out.streamed, script: built.script.text, sources: built.sources };
}

describe('file from a local path', () => {
  test('5 MB of random bytes with NULs: byte-exact, streamed once, then ok without being sent; the script never holds it', async () => {
    const local = join(dir, 'app.bin');
    const bytes = randomBytes(5 * 1024 * 1024);
    bytes.fill(0, 1000, 5000);
    writeFileSync(local, bytes);
    const dest = join(dir, 'node', 'opt', 'app.bin');
    const action = file(dest, { source: pathToFileURL(local), mode: '0755' });
    const first = await run(action);
    assert.deepEqual(first.statuses, ['changed']);
    assert.equal(first.streamed, bytes.length, 'sent once, whole');
    assert.ok(first.script.length < 10_000, `the script holds ${first.script.length} characters`);
    assert.equal(sha(readFileSync(dest)), sha(bytes));
    assert.equal(statSync(dest).mode & 0o777, 0o755);
    const second = await run(action);
    assert.deepEqual(second.statuses, ['ok']);
    assert.equal(second.streamed, 0, 'a no-op run sends nothing');
    // Changed on the node: sent again.
    writeFileSync(dest, 'edited by hand');
    assert.equal((await run(action)).streamed, bytes.length);
    assert.equal(sha(readFileSync(dest)), sha(bytes));
  });

  test('a small text file goes inline; small bytes with a NUL, and large strings, are streamed', async () => {
    const local = join(dir, 'motd');
    writeFileSync(local, 'hello from the repo\n');
    const small = await run(file(join(dir, 'node', 'motd'), { source: local }));
    assert.deepEqual(small.statuses, ['changed']);
    assert.equal(small.sources.size, 0);
    assert.ok(small.script.includes("'hello from the repo\n'"));
    const nul = Buffer.from('a\0b\0\n');
    const withNul = await run(file(join(dir, 'node', 'nul'), { content: nul }));
    assert.equal(withNul.streamed, nul.length);
    assert.deepEqual(readFileSync(join(dir, 'node', 'nul')), nul);
    const big = 'y'.repeat(100_000);
    const large = await run(file(join(dir, 'node', 'big'), { content: big }));
    assert.ok(!large.script.includes('y'.repeat(1000)));
    assert.equal(readFileSync(join(dir, 'node', 'big'), 'utf8'), big);
  });

  test('a local file that changed after the plan was made fails the action by name and keeps the old file', async () => {
    const local = join(dir, 'moving.bin');
    writeFileSync(local, randomBytes(100_000));
    const dest = join(dir, 'node', 'moving.bin');
    writeFileSync(dest, 'old');
    const built = await buildPhaseScript(plan(file(dest, { source: local })), planContext('s', 'configure', ref, [ref]), target);
    writeFileSync(local, randomBytes(50_000));
    const out = await runLocally(built.script.text, built.sources);
    const [record] = parseRecords(out.stdout).records;
    assert.equal(record?.status, 'failed');
    assert.match(record!.stderr, new RegExp(`the content that arrived for ${dest} differs from the local file`));
    assert.equal(readFileSync(dest, 'utf8'), 'old');
    assert.ok(!readdirSync(join(dir, 'node')).some((n) => n.includes('forklift-new')), 'no temp file left');
  });

  test('a missing local file is one line naming the action and the path', () => {
    assert.throws(() => file('/opt/app.bin', { source: '/nonexistent/app.bin' }), { name: 'SpecError', message: 'file /opt/app.bin: source: /nonexistent/app.bin: no such file' });
    assert.throws(() => file('/opt/app.bin', { source: 'files/app.bin' }), /file \/opt\/app\.bin: source: "files\/app\.bin" is a relative path; use new URL\("\.\/files\/app\.bin", import\.meta\.url\)/);
    assert.throws(() => file('/opt/app.bin', { source: '/etc' }), { message: 'file /opt/app.bin: source: /etc: is a directory' });
    assert.throws(() => file('/opt/x', { content: 'a', source: '/etc/hostname' }), { message: 'file /opt/x: content: give either content (text or bytes) or source (a local file)' });
    assert.throws(() => directory('/srv/site', { source: '/nonexistent/site/' }), { name: 'SpecError', message: 'directory /srv/site: source: /nonexistent/site/: no such folder' });
    assert.throws(() => directory('/srv/site', { delete: true }), { message: 'directory /srv/site: source: delete and fileMode need a source folder' });
  });
});

describe('directory mirroring a local folder', () => {
  const src = join(dir, 'site');
  mkdirSync(join(src, 'css', 'deep'), { recursive: true });
  writeFileSync(join(src, 'index.html'), '<h1>hi</h1>\n');
  writeFileSync(join(src, 'css', 'site.css'), 'body{}\n');
  writeFileSync(join(src, 'css', 'deep', 'blob.bin'), randomBytes(300_000));
  writeFileSync(join(src, "it's $(id).txt"), 'hostile name\n');
  writeFileSync(join(src, 'run.sh'), '#!/bin/sh\necho hi\n');
  chmodSync(join(src, 'run.sh'), 0o755);
  symlinkSync('index.html', join(src, 'home.html'));
  const dest = join(dir, 'node', 'srv', 'site');

  test('first run copies the tree (modes, links); a second run sends nothing and reports ok', async () => {
    const first = await run(directory(dest, { source: src }));
    assert.deepEqual(first.statuses, ['changed']);
    const files = ['index.html', 'css/site.css', 'css/deep/blob.bin', "it's $(id).txt", 'run.sh'];
    assert.equal(first.streamed, files.reduce((n, f) => n + statSync(join(src, f)).size, 0));
    for (const f of files) assert.deepEqual(readFileSync(join(dest, f)), readFileSync(join(src, f)), f);
    assert.equal(statSync(join(dest, 'run.sh')).mode & 0o777, 0o755);
    assert.equal(statSync(join(dest, 'index.html')).mode & 0o777, 0o644);
    assert.equal(statSync(join(dest, 'css')).mode & 0o777, 0o755);
    assert.equal(readlinkSync(join(dest, 'home.html')), 'index.html');
    const second = await run(directory(dest, { source: src }));
    assert.deepEqual(second.statuses, ['ok']);
    assert.equal(second.streamed, 0);
  });

  test('only the file that differs is sent; extra files stay unless delete; fileMode and mode apply', async () => {
    writeFileSync(join(dest, 'css', 'site.css'), 'edited on the node\n');
    writeFileSync(join(dest, 'extra.txt'), 'not in the repo\n');
    mkdirSync(join(dest, 'extra-dir', 'sub'), { recursive: true });
    const keep = await run(directory(dest, { source: src }));
    assert.deepEqual(keep.statuses, ['changed']);
    assert.equal(keep.streamed, statSync(join(src, 'css', 'site.css')).size, 'only site.css was sent');
    assert.equal(readFileSync(join(dest, 'css', 'site.css'), 'utf8'), 'body{}\n');
    assert.ok(statSync(join(dest, 'extra.txt')).isFile(), 'without delete, extra files stay');
    assert.deepEqual((await run(directory(dest, { source: src }))).statuses, ['ok']);

    const mirror = directory(dest, { source: src, delete: true, mode: '0750', fileMode: '0640' });
    const deleted = await run(mirror);
    assert.deepEqual(deleted.statuses, ['changed']);
    assert.equal(deleted.streamed, 0, 'modes and deletions send nothing');
    assert.throws(() => statSync(join(dest, 'extra.txt')), /ENOENT/);
    assert.throws(() => statSync(join(dest, 'extra-dir')), /ENOENT/);
    assert.equal(statSync(join(dest, 'run.sh')).mode & 0o777, 0o640);
    assert.equal(statSync(join(dest, 'css', 'deep')).mode & 0o777, 0o750);
    assert.deepEqual((await run(mirror)).statuses, ['ok']);
  });

  test('a file where the folder has a directory, and a link where it has a file, are replaced', async () => {
    rmSync(join(dest, 'css'), { recursive: true });
    writeFileSync(join(dest, 'css'), 'a file in the way');
    rmSync(join(dest, 'home.html'));
    writeFileSync(join(dest, 'home.html'), 'not a link');
    const r = await run(directory(dest, { source: src, delete: true, mode: '0750', fileMode: '0640' }));
    assert.deepEqual(r.statuses, ['changed']);
    assert.equal(readlinkSync(join(dest, 'home.html')), 'index.html');
    assert.equal(readFileSync(join(dest, 'css', 'site.css'), 'utf8'), 'body{}\n');
  });
});

describe('the need scanner', () => {
  test('finds requests split anywhere across chunks, and never inside a record body', () => {
    const need = (n: number) => `\n@@forklift-need ${sha(Buffer.from(String(n)))} ${n}\n`;
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.nat(1000), fc.string()), { maxLength: 8 }), fc.array(fc.nat(50), { maxLength: 10 }), (parts, cuts) => {
        // Numbers are needs; strings are action records whose body holds a fake request.
        let stream = '';
        const wanted: number[] = [];
        for (const p of parts) {
          if (typeof p === 'number') {
            stream += need(p);
            wanted.push(p);
          } else {
            const body = `${p}${need(7)}`;
            stream += `\n@@forklift 0 ok 0 ${Buffer.byteLength(body)} 0\n${body}`;
          }
        }
        const bytes = Buffer.from(stream);
        const scanner = new NeedScanner();
        const found: number[] = [];
        let at = 0;
        for (const c of [...cuts, bytes.length]) {
          const end = Math.min(bytes.length, at + c);
          for (const n of scanner.push(bytes.subarray(at, end))) found.push(n.size);
          at = end;
        }
        for (const n of scanner.push(bytes.subarray(at))) found.push(n.size);
        assert.deepEqual(found, wanted);
      }),
    );
  });
});
