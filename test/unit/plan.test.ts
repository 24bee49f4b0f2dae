// plan and diffs without nodes: the engine's plan through the in-memory cloud, the diff of
// what a node sends back (frames made by the real shell function, run here by sh), secrets
// masked, large files as sizes and digests, and saved plan files checked at the edge.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { block, converge, directory, file, line, parseSavedPlan, plan, planStack, savePlan, secret } from '../../src/index.ts';
import { readChanges } from '../../src/engine/diff.ts';
import { renderPreview, SHOW_FUNCTION, PREVIEW_MAX, type Preview } from '../../src/shell/preview.ts';
import type { Action, Step } from '../../src/actions/types.ts';
import { fakeCloud, scriptBlocks } from '../fake/cloud.ts';
import { farm } from '../fake/farm.ts';

const target = { node: { name: 'n', group: 'g', address: '10.0.0.1' }, os: { family: 'debian', version: '12' } };
const stepsOf = (a: Action) => a.def.render(a.args, target) as Step[];

/** Run the step's preview with the real shell function on this machine; what the block's stdout would hold. */
function preview(p: Preview, step = 0): string {
  const script = `set -u\nexport LC_ALL=C\nfl_t=$(mktemp -d)\n${SHOW_FUNCTION}\n${renderPreview(step, p).text}\ncat "$fl_t/o"; rm -rf "$fl_t"`;
  const r = spawnSync('sh', ['-c', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

describe('diffs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'forklift-diff-'));

  test('a file: the node sends its content, the diff is unified, as GNU diff writes it', () => {
    const path = join(dir, 'page.html');
    writeFileSync(path, 'one\ntwo\nthree\n');
    const [step] = stepsOf(file(path, { content: 'one\n2\nthree\n' }));
    const { stdout, changes } = readChanges(preview(step!.preview!), [step!.preview], []);
    assert.equal(stdout, '');
    assert.equal(changes[0]!.diff, `--- ${path} (now)\n+++ ${path} (planned)\n@@ -1,3 +1,3 @@\n one\n-two\n+2\n three`);
    assert.match(changes[0]!.before.digest!, /^sha256:[0-9a-f]{64}$/);
  });

  test('a new file is a diff from /dev/null; an absent() one to /dev/null', () => {
    const path = join(dir, 'new.conf');
    const [step] = stepsOf(file(path, { content: 'a\n' }));
    const { changes } = readChanges(preview(step!.preview!), [step!.preview], []);
    assert.equal(changes[0]!.diff, `--- /dev/null\n+++ ${path} (planned)\n@@ -0,0 +1 @@\n+a`);
    assert.equal(changes[0]!.before.kind, 'none');
  });

  test('a line or block edit: the node computes the new content with the same program', () => {
    const path = join(dir, 'sshd_config');
    writeFileSync(path, 'Port 22\nPermitRootLogin yes\nX11Forwarding no\n');
    const [step] = stepsOf(line(path, { line: 'PermitRootLogin no', match: '^PermitRootLogin' }));
    const { changes } = readChanges(preview(step!.preview!), [step!.preview], []);
    assert.equal(changes[0]!.diff, `--- ${path} (now)\n+++ ${path} (planned)\n@@ -1,3 +1,3 @@\n Port 22\n-PermitRootLogin yes\n+PermitRootLogin no\n X11Forwarding no`);
    const [b] = stepsOf(block(path, 'extra', { content: 'MaxAuthTries 3\n' }));
    const got = readChanges(preview(b!.preview!), [b!.preview], []).changes[0]!.diff!;
    assert.match(got, /\+# BEGIN forklift extra\n\+MaxAuthTries 3\n\+# END forklift extra$/);
  });

  test('a secret never shows: its lines, and current lines the new content does not show openly, are changed *** lines', () => {
    const path = join(dir, 'app.env');
    writeFileSync(path, 'MODE=prod\nTOKEN=old-secret-value\n');
    const value = 'MODE=prod\nTOKEN=new-secret-value\n';
    const [step] = stepsOf(file(path, { content: secret(value) }));
    const { changes } = readChanges(preview(step!.preview!), [step!.preview], [value]);
    const text = JSON.stringify(changes);
    assert.ok(!text.includes('secret-value'), text);
    assert.equal(changes[0]!.diff, `--- ${path} (now)\n+++ ${path} (planned)\n@@ -1,2 +1,2 @@\n-***\n-***\n+***\n+***`);
    assert.match(changes[0]!.before.digest!, /^hmac:/, 'a digest of secret content is keyed by the secret');
    // A secret line in an edit: only that line is hidden.
    writeFileSync(path, 'MODE=prod\npassword = hunter2-old\n');
    const [l] = stepsOf(line(path, { line: secret('password = hunter2-new'), match: '^password' }));
    const edit = readChanges(preview(l!.preview!), [l!.preview], ['password = hunter2-new']).changes[0]!;
    assert.equal(edit.diff, `--- ${path} (now)\n+++ ${path} (planned)\n@@ -1,2 +1,2 @@\n MODE=prod\n-***\n+***`);
  });

  test('a file over the bound or not text shows sizes and digests, not content', () => {
    const big = join(dir, 'big.bin');
    writeFileSync(big, Buffer.alloc(PREVIEW_MAX + 1, 0x61));
    const [step] = stepsOf(file(big, { content: 'small\n' }));
    const out = preview(step!.preview!);
    assert.ok(out.length < 300, 'the content is not sent');
    const { changes } = readChanges(out, [step!.preview], []);
    assert.equal(changes[0]!.diff, undefined);
    assert.match(changes[0]!.note!, new RegExp(`^large: ${PREVIEW_MAX + 1} bytes sha256:[0-9a-f]{12}… → 6 bytes sha256:[0-9a-f]{12}…$`));
    const bin = join(dir, 'bin');
    writeFileSync(bin, Buffer.from([0, 1, 2, 0xff]));
    const binary = readChanges(preview(stepsOf(file(bin, { content: 'x' }))[0]!.preview!), [stepsOf(file(bin, { content: 'x' }))[0]!.preview], []).changes[0]!;
    assert.match(binary.note!, /^binary or not text: 4 bytes/);
  });

  test("a folder mirror: the diff is of both sides' listings (content digests, modes, links; what delete removes)", () => {
    const from = join(dir, 'site');
    const to = join(dir, 'www');
    mkdirSync(join(from, 'sub'), { recursive: true });
    mkdirSync(to);
    writeFileSync(join(from, 'a.txt'), 'new\n');
    writeFileSync(join(from, 'sub', 'b.txt'), 'b\n');
    writeFileSync(join(to, 'a.txt'), 'old\n');
    writeFileSync(join(to, 'stale.txt'), 'x\n');
    const steps = stepsOf(directory(to, { source: from, delete: true }));
    const step = steps.at(-1)!;
    const change = readChanges(preview(step.preview!, steps.length - 1), steps.map((s) => s.preview), []).changes[0]!;
    const sha = (t: string) => createHash('sha256').update(t).digest('hex');
    assert.equal(
      change.diff,
      [`--- ${to}/ (entries) (now)`, `+++ ${to}/ (entries) (planned)`, '@@ -1,2 +1,3 @@', `-./a.txt file ${sha('old\n')} 644`, '-./stale.txt file ' + sha('x\n') + ' 644', `+./a.txt file ${sha('new\n')} 644`, '+./sub dir 755', `+./sub/b.txt file ${sha('b\n')} 644`].join('\n'),
    );
  });

  test('what the block printed after its frames is kept as its stdout', () => {
    const path = join(dir, 'out.txt');
    writeFileSync(path, 'a\n');
    const [step] = stepsOf(file(path, { content: 'b\n' }));
    const { stdout, changes } = readChanges(`${preview(step!.preview!)}applied\n`, [step!.preview], []);
    assert.equal(stdout, 'applied\n');
    assert.equal(changes.length, 1);
  });
});

describe('plan on in-memory nodes', () => {
  test('plan web=4 from web=2: two planned creates the lb plans with, placeholder addresses, nothing made or run', async () => {
    const cloud = fakeCloud();
    const stack = farm(cloud);
    await converge(stack, { lb: 1, web: 2 }, { transport: cloud.transport });
    const created = cloud.created;
    const applyScripts = new Map<string, string>();
    const planned = await planStack(stack, { lb: 1, web: 4 }, { transport: cloud.transport, scripts: true, onEvent: (e) => void (e.type === 'node-script' && applyScripts.set(e.node, e.applyScript!)) });
    assert.equal(cloud.created, created, 'nothing created');
    assert.equal(planned.create.length, 2);
    assert.deepEqual(planned.counts, { lb: 1, web: 4 });
    assert.equal(planned.changes, true);
    const lb = planned.nodes.find((n) => n.group === 'lb')!;
    const script = cloud.host(lb.name).scripts.at(-1)!;
    assert.equal(scriptBlocks(script).mode, 'check');
    // The script the lb would get when applying: its config names the planned nodes, at an address not known yet.
    for (const c of planned.create) assert.ok(applyScripts.get(lb.name)!.includes(`server ${c.name} (known after create):80 check`), `the lb is planned with ${c.name}`);
    assert.equal(planned.nodes.length, 3, 'only staying nodes are checked');
    // A plan that shows no creates: the counts as they are.
    const asIs = await planStack(stack, undefined, { transport: cloud.transport });
    assert.deepEqual([asIs.create, asIs.remove], [[], []]);
  });

  test('a saved plan round-trips through its schema; a bad one names the field', () => {
    const saved = savePlan({ stack: 's', counts: { web: 1 }, phases: ['configure'], create: [{ name: 'web-1', group: 'web' }], remove: [], nodes: [], changed: 0, changes: true, ok: true, errors: [] }, new Date(0));
    assert.deepEqual(parseSavedPlan(JSON.stringify(saved), 'p.json'), saved);
    assert.throws(() => parseSavedPlan('{"format":"forklift-plan"}', 'p.json'), /^ConfigError: p\.json: not a valid saved plan: version: /);
    assert.throws(() => parseSavedPlan('nope', 'p.json'), /p\.json: not a saved plan: not JSON/);
  });
});
