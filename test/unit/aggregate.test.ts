// The aggregation rule: the package actions of a phase fold into one install placed where
// the first stood, except across a barrier (aptRepository, execChecked): packages placed
// after a repository install after it, from it. Removals fold the same way, on their own.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { absentPackages, aptRepository, execChecked, file, packages, service, type Action, type Target } from '../../src/actions/index.ts';
import { planContext } from '../../src/engine/phase.ts';
import { aggregate, buildPhaseScript } from '../../src/engine/script.ts';
import { SpecError } from '../../src/errors.ts';
import { plan } from '../../src/spec/plan.ts';

const target: Target = { node: { name: 'web-1', group: 'web', address: '10.0.3.10' }, os: { family: 'debian', version: '12' } };
const ref = { id: 'i', name: 'web-1', group: 'web', address: '10.0.3.10', roles: [] };
const ctx = planContext('s', 'configure', ref, [ref]);
const KEY = join(import.meta.dirname, '../fixtures/actions/aptRepository/files/key.asc');
const repo = () => aptRepository('vendor', { uris: 'https://apt.example.com', suites: 'stable', components: 'main', key: KEY });
const labels = (actions: readonly Action[]) => actions.map((a) => a.label);

describe('package aggregation', () => {
  test('several packages with other actions between them make one install, where the first stood', () => {
    const conf = file('/etc/app.conf', { content: 'x\n' });
    assert.deepEqual(labels(aggregate([packages('nginx'), conf, service('nginx'), packages('curl', 'nginx'), packages('tree')])), [
      'packages nginx curl tree',
      'file /etc/app.conf',
      'service nginx',
    ]);
  });

  test('packages after an aptRepository install after it; those before it still fold together', () => {
    const conf = file('/etc/app.conf', { content: 'x\n' });
    assert.deepEqual(labels(aggregate([packages('curl'), conf, packages('gnupg'), repo(), packages('vendor-tool'), conf, packages('vendor-agent')])), [
      'packages curl gnupg',
      'file /etc/app.conf',
      'aptRepository vendor',
      'packages vendor-tool vendor-agent',
      'file /etc/app.conf',
    ]);
  });

  test('an execChecked is a barrier too: a script may prepare what apt installs (a repository by hand, debconf answers)', () => {
    const preseed = execChecked('preseed', 'echo "postfix postfix/main_mailer_type select Local only" | debconf-set-selections');
    assert.deepEqual(labels(aggregate([packages('curl'), preseed, packages('postfix')])), ['packages curl', 'preseed', 'packages postfix']);
  });

  test('removals fold into one apt-get remove, apart from installs', () => {
    assert.deepEqual(labels(aggregate([packages('curl'), absentPackages('exim4'), packages('tree'), absentPackages('nano', 'exim4')])), [
      'packages curl tree',
      'absentPackages exim4 nano',
    ]);
  });

  test('the script has one install per run, in plan order around the repository', async () => {
    const { script } = await buildPhaseScript(plan(packages('curl'), repo(), packages('vendor-tool'), packages('curl')), ctx, target);
    assert.equal(script.shown.match(/^fl_apt \$fl_install \$fl_missing/gm)?.length, 2);
    const order = [...script.shown.matchAll(/^# (\d+): (.*)$/gm)].map((m) => m[2]);
    assert.deepEqual(order, ['packages curl', 'aptRepository vendor', 'packages vendor-tool curl']);
  });

  test('a handler on a package action after the repository waits for the install it folded into', async () => {
    const agent = packages('vendor-agent');
    const restart = service('vendor-agent', { state: 'restarted', onChangeOf: [agent] });
    const before = packages('curl');
    const { script } = await buildPhaseScript(plan(before, repo(), packages('vendor-tool'), agent, restart), ctx, target);
    // blocks: 0 packages curl, 1 aptRepository, 2 packages vendor-tool vendor-agent, 3 the handler
    assert.match(script.shown, /# 3: service vendor-agent restarted\nfl_begin; fl_c3=0\nif \[ "\$fl_c2" = 1 \] \|\| /);
    const early = service('curl-user', { state: 'restarted', onChangeOf: [before] });
    const { script: s2 } = await buildPhaseScript(plan(before, repo(), packages('curl'), early), ctx, target);
    assert.match(s2.shown, /# 3: service curl-user restarted\nfl_begin; fl_c3=0\nif \[ "\$fl_c0" = 1 \] \|\| /);
  });

  test('a name pinned in one action and not in another installs the pinned version', () => {
    assert.deepEqual(labels(aggregate([packages('nginx', 'curl'), service('nginx'), packages('nginx=1.22.1-9')])), ['packages curl nginx=1.22.1-9', 'service nginx']);
  });

  test('two versions pinned for one package in one install are refused, naming node, phase and action', async () => {
    await assert.rejects(buildPhaseScript(plan(packages('nginx=1.22.1-9'), packages('nginx=1.24.0-1')), ctx, target), (e: unknown) => {
      assert.ok(e instanceof SpecError);
      assert.equal(e.message, 'node web-1, phase configure, action "packages nginx=1.22.1-9 nginx=1.24.0-1": nginx is pinned to both 1.22.1-9 and 1.24.0-1');
      return true;
    });
  });
});
