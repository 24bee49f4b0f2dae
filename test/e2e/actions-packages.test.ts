// Packages and files from elsewhere on ONE real local node: two signed apt repositories
// this test builds and serves itself (one key from a local file, one fetched by URL as
// binary), packages pinned from them and placed after them in the plan, a template from
// this repo, a download, git checkouts of a repository served over HTTP. lift runs each
// action twice: changed, then ok. Then a new commit, an upgrade, removals, and failures
// that name what is wrong.
import assert from 'node:assert/strict';
import { randomBytes, createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { absentPackages, aptRepository, download, execChecked, gitCheckout, packages, template, user } from '../../src/actions/index.ts';
import type { StackConfig } from '../../src/config/define.ts';
import { converge } from '../../src/engine/converge.ts';
import { check, lift } from '../../src/engine/lift.ts';
import type { NodeResult, OperationResult } from '../../src/engine/results.ts';
import { groupSpec } from '../../src/spec/group.ts';
import { plan, type PlanContext } from '../../src/spec/plan.ts';
import { ssh as sshRun, stackName } from './nodes.ts';
import { buildAptRepo, buildGitRepo, serveFolder, type AptRepo, type GitRepo, type Served } from './served.ts';

/** What the plans read once the host serves it (the bridge address exists once the first node does). */
interface World {
  served: Served;
  repoA: AptRepo;
  repoB: AptRepo;
  repoC: AptRepo;
  git: GitRepo;
  keyFile: string;
  blobSha: string;
  first: string;
}
let w: World;
const at = <T>(f: (w: World, ctx: PlanContext) => T) => (ctx: PlanContext) => f(w, ctx);

const TEMPLATE = new URL('../fixtures/actions/template/files/app.conf.liquid', import.meta.url);
const vars = { name: 'fl-e2e', port: 8080, servers: [{ name: 'web-1', address: '10.0.3.10' }], tls: true };
const CHECKOUT = 'gitCheckout /srv/fl-app';

const configure = plan(
  packages('tree'),
  at((w) => aptRepository('fl-test', { uris: w.repoA.uri, suites: 'stable', components: 'main', key: w.keyFile })),
  // After the repository in the plan, so after it in the script: fl-dummy comes from it.
  packages('fl-dummy=1.0'),
  packages('git'),
  at((w) => aptRepository('fl-test-url', { uris: w.repoB.uri, suites: ['stable'], components: ['main'], key: `${w.served.base}/repo-b-key.gpg` })),
  packages('fl-other'),
  user('fl-git'),
  template('/etc/fl-e2e/app.conf', TEMPLATE, { vars, mode: '0640', validate: 'grep -q "^listen 8080;$" %s' }),
  at((w) => download('/opt/fl-e2e/blob.bin', { url: `${w.served.base}/blob.bin`, sha256: w.blobSha, mode: '0600' })),
  at((w) => {
    const main = gitCheckout('/srv/fl-app', { repo: w.git.url });
    return [
      main,
      gitCheckout('/srv/fl-app-v1', { repo: w.git.url, ref: 'v1', owner: 'fl-git' }),
      gitCheckout('/srv/fl-app-commit', { repo: w.git.url, ref: w.first }),
      execChecked('app deployed', 'git -C /srv/fl-app rev-parse HEAD >>/root/deployed', { onChangeOf: [main] }),
    ];
  }),
);

const LABELS = [
  'packages tree',
  'aptRepository fl-test',
  'packages fl-dummy=1.0 git',
  'aptRepository fl-test-url',
  'packages fl-other',
  'user fl-git',
  'template /etc/fl-e2e/app.conf',
  'download /opt/fl-e2e/blob.bin',
  CHECKOUT,
  'gitCheckout /srv/fl-app-v1',
  'gitCheckout /srv/fl-app-commit',
  'app deployed',
];

const stack: StackConfig = {
  stack: stackName('tapk'),
  provider: { name: 'local' },
  groups: [
    groupSpec('node', {
      phases: {
        configure,
        upgrade: plan(packages('fl-dummy=2.0')),
        remove: plan(absentPackages('fl-dummy'), absentPackages('fl-other', 'no-such-package-forklift')),
        notakey: plan(at((w) => aptRepository('fl-bad', { uris: `${w.served.base}/repo-a`, suites: 'stable', components: 'main', key: `${w.served.base}/blob.bin` }))),
        wrongkey: plan(at((w) => aptRepository('fl-wrong', { uris: w.repoC.uri, suites: 'stable', components: 'main', key: `${w.served.base}/repo-b-key.gpg` }))),
        badsha: plan(at((w) => download('/opt/fl-e2e/other.bin', { url: `${w.served.base}/blob.bin`, sha256: '0'.repeat(64) }))),
      },
    }),
  ],
};

const statuses = (node: NodeResult, phase = 'configure') => Object.fromEntries(node.actions.filter((a) => a.phase === phase).map((a) => [a.name, a.status]));
const describeRun = (r: OperationResult) => JSON.stringify({ ok: r.ok, errors: r.errors, nodes: r.nodes.map((n) => ({ error: n.error, actions: n.actions.map((a) => [a.name, a.status, a.stderr.slice(-300)]) })) }, null, 1);

describe('packages, repositories, templates, downloads and checkouts on a real node', { concurrency: false, timeout: 20 * 60_000 }, () => {
  let address: string;
  const sh = (command: string) => {
    const r = sshRun(address, command);
    assert.equal(r.code, 0, `ssh ${command}: ${r.stderr}`);
    return r.stdout;
  };

  before(async () => {
    const made = await converge(stack, { node: 1 }, { phases: [] });
    assert.ok(made.ok, describeRun(made));
    address = made.nodes[0]!.address;
    const served = await serveFolder();
    const repoA = buildAptRepo(served, 'repo-a', 'fl-dummy', ['1.0', '2.0']);
    const repoB = buildAptRepo(served, 'repo-b', 'fl-other', ['3.0']);
    // Signed by its own key, for the wrong-key case.
    const repoC = buildAptRepo(served, 'repo-c', 'fl-third', ['1.0']);
    const blob = randomBytes(256 * 1024);
    writeFileSync(join(served.root, 'blob.bin'), blob);
    const keyFile = join(served.root, 'repo-a-key.asc');
    writeFileSync(keyFile, repoA.armoredKey);
    const git = buildGitRepo(served, 'app');
    const first = git.commit('README', 'one\n', 'one');
    git.tag('v1', true);
    git.commit('README', 'two\n', 'two');
    w = { served, repoA, repoB, repoC, git, keyFile, blobSha: createHash('sha256').update(blob).digest('hex'), first };
  });
  after(async () => {
    w?.git.close();
    await w?.served.close();
  });

  test('the first run changes every action, in plan order around the repositories', async () => {
    const r = await lift(stack);
    assert.ok(r.ok, describeRun(r));
    const node = r.nodes[0]!;
    assert.deepEqual(node.actions.map((a) => a.name), LABELS);
    assert.deepEqual(statuses(node), Object.fromEntries(LABELS.map((l) => [l, 'changed'])));
  });

  test('the node is in the state the actions describe', () => {
    assert.equal(sh("dpkg-query -W -f '${Version} ' fl-dummy fl-other; cat /usr/share/fl-dummy/version"), '1.0 3.0 1.0\n');
    assert.match(sh('apt-cache policy fl-dummy'), /Candidate: 2\.0/);
    assert.equal(sh('cat /etc/apt/sources.list.d/fl-test.sources'), `Types: deb\nURIs: ${w.repoA.uri}\nSuites: stable\nComponents: main\nSigned-By: /etc/apt/keyrings/fl-test.asc\n`);
    assert.equal(sh('cat /etc/apt/keyrings/fl-test.asc'), w.repoA.armoredKey);
    assert.match(sh('head -1 /etc/apt/keyrings/fl-test-url.asc; command -v gpg || echo no gpg'), /^-----BEGIN PGP PUBLIC KEY BLOCK-----\nno gpg\n$/);
    assert.equal(sh("stat -c '%a' /etc/fl-e2e/app.conf; cat /etc/fl-e2e/app.conf"), '640\n# fl-e2e: written by forklift\nlisten 8080;\nserver web-1 10.0.3.10:8080;\nssl on;\nworkers 2;\n');
    assert.equal(sh("stat -c '%a' /opt/fl-e2e/blob.bin; sha256sum </opt/fl-e2e/blob.bin"), `600\n${w.blobSha}  -\n`);
    const heads = sh('for d in /srv/fl-app /srv/fl-app-v1 /srv/fl-app-commit; do git -c safe.directory="*" -C $d rev-parse HEAD; done; git -C /srv/fl-app symbolic-ref --short HEAD; stat -c %U /srv/fl-app-v1 /srv/fl-app-v1/README');
    const main = heads.split('\n')[0]!;
    assert.notEqual(main, w.first);
    assert.equal(heads, `${main}\n${w.first}\n${w.first}\nmain\nfl-git\nfl-git\n`);
    assert.equal(sh('cat /root/deployed'), `${main}\n`);
  });

  test('the second run changes nothing: every action ok, the handler skipped', async () => {
    const r = await lift(stack);
    assert.ok(r.ok, describeRun(r));
    assert.equal(r.changed, 0, describeRun(r));
    assert.deepEqual(statuses(r.nodes[0]!), Object.fromEntries(LABELS.map((l) => [l, l === 'app deployed' ? 'skipped' : 'ok'])));
  });

  test('a new commit on the branch: check sees it, then only that checkout (and its handler) changes', async () => {
    const third = w.git.commit('README', 'three\n', 'three');
    const dry = await check(stack);
    assert.deepEqual(dry.nodes[0]!.actions.filter((a) => a.status !== 'ok').map((a) => [a.name, a.status]), [[CHECKOUT, 'would-change'], ['app deployed', 'would-change']]);
    const r = await lift(stack);
    assert.ok(r.ok, describeRun(r));
    const changed = r.nodes[0]!.actions.filter((a) => a.changed).map((a) => a.name);
    assert.deepEqual(changed, [CHECKOUT, 'app deployed']);
    assert.equal(sh('git -C /srv/fl-app rev-parse HEAD; cat /srv/fl-app/README'), `${third}\nthree\n`);
  });

  test('a pinned upgrade installs that version, then is ok', async () => {
    const r1 = await lift(stack, { phases: ['upgrade'] });
    assert.ok(r1.ok, describeRun(r1));
    assert.deepEqual(statuses(r1.nodes[0]!, 'upgrade'), { 'packages fl-dummy=2.0': 'changed' });
    assert.equal(sh('cat /usr/share/fl-dummy/version'), '2.0\n');
    const r2 = await lift(stack, { phases: ['upgrade'] });
    assert.deepEqual(statuses(r2.nodes[0]!, 'upgrade'), { 'packages fl-dummy=2.0': 'ok' });
  });

  test('removals fold into one, changed then ok', async () => {
    const r1 = await lift(stack, { phases: ['remove'] });
    assert.ok(r1.ok, describeRun(r1));
    assert.deepEqual(statuses(r1.nodes[0]!, 'remove'), { 'absentPackages fl-dummy fl-other no-such-package-forklift': 'changed' });
    assert.equal(sshRun(address, 'dpkg -s fl-dummy').code, 1);
    const r2 = await lift(stack, { phases: ['remove'] });
    assert.deepEqual(statuses(r2.nodes[0]!, 'remove'), { 'absentPackages fl-dummy fl-other no-such-package-forklift': 'ok' });
  });

  const failure = async (phase: string) => {
    const r = await lift(stack, { phases: [phase] });
    assert.equal(r.ok, false, describeRun(r));
    return r.nodes[0]!.error?.message ?? '';
  };

  test('a key URL that is not a key fails on the node, naming the action and the URL; nothing is written', async () => {
    const message = await failure('notakey');
    assert.match(message, new RegExp(`^node \\S+: action "aptRepository fl-bad" failed with exit code 3\\n.*${w.served.base}/blob\\.bin is not an OpenPGP public key`));
    assert.equal(sshRun(address, 'ls /etc/apt/keyrings/fl-bad.asc /etc/apt/sources.list.d/fl-bad.sources').code, 2);
  });

  test('a repository signed by another key fails the update, naming apt\'s complaint', async () => {
    const message = await failure('wrongkey');
    assert.match(message, /action "aptRepository fl-wrong" failed with exit code 100\n[\s\S]*NO_PUBKEY/);
    // Leave apt as the other tests found it.
    sh('rm -f /etc/apt/sources.list.d/fl-wrong.sources /etc/apt/keyrings/fl-wrong.asc');
  });

  test('a download whose hash differs fails naming both hashes, and leaves nothing', async () => {
    const message = await failure('badsha');
    assert.match(message, new RegExp(`action "download /opt/fl-e2e/other.bin" failed with exit code 3\\n.*blob\\.bin has sha256 ${w.blobSha}, expected 0{64}`));
    assert.equal(sshRun(address, 'ls /opt/fl-e2e/').stdout, 'blob.bin\n');
  });
});
