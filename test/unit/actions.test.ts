// Tests as data (pyinfra's tests/operations): every test/fixtures/actions/<constructor>/<case>.json
// is { call: [constructor args...], target?, script } or { call, error }. The runner builds the
// action with its public constructor, renders it for the target and compares what a user sees:
// each step as `check:` / `apply:` in shown text (secrets as ***). `{"$secret": "..."}` in call
// is secret("..."); `{"$fixture": "template/files/x"}` is the file: URL of that file under
// test/fixtures/actions. An `error` case must throw a SpecError with exactly that message.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, test } from 'node:test';
import * as actions from '../../src/actions/index.ts';
import type { Action, Step, Target } from '../../src/actions/index.ts';
import { buildPhaseScript } from '../../src/engine/script.ts';
import { planContext } from '../../src/engine/phase.ts';
import { SpecError } from '../../src/errors.ts';
import { secret } from '../../src/shell/sh.ts';
import { plan } from '../../src/spec/plan.ts';

const constructors: Record<string, (...args: never[]) => Action> = {
  packages: actions.packages,
  file: actions.file,
  directory: actions.directory,
  service: actions.service,
  execChecked: actions.execChecked,
  user: actions.user,
  symlink: actions.symlink,
  absent: actions.absent,
  absentPackages: actions.absentPackages,
  template: actions.template,
  download: actions.download,
  aptRepository: actions.aptRepository,
  gitCheckout: actions.gitCheckout,
  line: actions.line,
  block: actions.block,
  authorizedKeys: actions.authorizedKeys,
  group: actions.group,
  sudoers: actions.sudoers,
  systemdUnit: actions.systemdUnit,
  cron: actions.cron,
  sysctl: actions.sysctl,
  hostname: actions.hostname,
};

const DEFAULT_TARGET: Target = { node: { name: 'web-1', group: 'web', address: '10.0.3.10' }, os: { family: 'debian', version: '12' } };

interface Fixture {
  call: unknown[];
  target?: Target;
  script?: string;
  error?: string;
}

const root = join(import.meta.dirname, '../fixtures/actions');

function decode(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decode);
  if (value && typeof value === 'object') {
    if ('$secret' in value) return secret(String((value as { $secret: unknown }).$secret));
    if ('$fixture' in value) return pathToFileURL(join(root, String((value as { $fixture: unknown }).$fixture)));
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decode(v)]));
  }
  return value;
}

/** What a user sees of an action's steps: the check, then the apply, shown text. */
function showSteps(steps: readonly Step[]): string {
  return steps.map((s) => (s.check ? `check: ${s.check.shown}\napply: ${s.apply.shown}` : `apply: ${s.apply.shown}`)).join('\n');
}

function build(ctor: string, call: unknown[]): Action {
  const make = constructors[ctor];
  assert.ok(make, `fixture folder ${ctor} is not an action constructor`);
  return (make as (...a: unknown[]) => Action)(...(decode(call) as unknown[]));
}

const folders = readdirSync(root).sort();
/** FORKLIFT_UPDATE_FIXTURES=1 writes what each case renders now into its `script` (review the diff before committing). */
const UPDATE = process.env.FORKLIFT_UPDATE_FIXTURES === '1';

test('there is a fixture folder for every action constructor', () => {
  assert.deepEqual(folders, Object.keys(constructors).sort());
});

for (const ctor of folders) {
  describe(ctor, () => {
    for (const file of readdirSync(join(root, ctor)).filter((f) => f.endsWith('.json')).sort()) {
      const fixture = JSON.parse(readFileSync(join(root, ctor, file), 'utf8')) as Fixture;
      test(file.replace(/\.json$/, ''), () => {
        assert.ok((fixture.script === undefined) !== (fixture.error === undefined), 'a fixture has either script or error');
        if (fixture.error !== undefined) {
          assert.throws(() => build(ctor, fixture.call), (e: unknown) => {
            assert.ok(e instanceof SpecError, `expected a SpecError, got ${String(e)}`);
            assert.equal(e.message, fixture.error);
            return true;
          });
          return;
        }
        const a = build(ctor, fixture.call);
        const shown = showSteps(a.def.render(a.args, fixture.target ?? DEFAULT_TARGET));
        if (UPDATE && shown !== fixture.script) writeFileSync(join(root, ctor, file), `${JSON.stringify({ ...fixture, script: shown }, null, 2)}\n`);
        else assert.equal(shown, fixture.script);
        assert.ok(!/\$\{|undefined|\[object /.test(a.label), `label looks unrendered: ${a.label}`);
      });
    }
  });
}

describe('packages in a phase', () => {
  const target = DEFAULT_TARGET;
  const ref = { id: 'i', name: target.node.name, group: target.node.group, address: target.node.address, roles: [] };
  const ctx = planContext('s', 'configure', ref, [ref]);

  test('several package actions become one install, placed where the first stood', async () => {
    const conf = actions.file('/etc/app.conf', { content: 'x\n' });
    const { script, actions: ordered } = await buildPhaseScript(
      plan(actions.packages('nginx'), conf, actions.packages('curl', 'nginx'), () => actions.packages('tree')),
      ctx,
      target,
    );
    assert.deepEqual(
      ordered.map((a) => a.label),
      ['packages nginx curl tree', 'file /etc/app.conf'],
    );
    assert.equal(script.shown.match(/^fl_apt \$fl_install /gm)?.length, 1);
    assert.match(script.shown, /for p in nginx curl tree; do/);
    assert.match(script.shown, /^# 0: packages nginx curl tree$/m);
    assert.match(script.shown, /^# 1: file \/etc\/app\.conf$/m);
    assert.doesNotMatch(script.shown, /^# 2:/m);
  });

  test('a handler on one package action waits for the aggregated install', async () => {
    const pkg = actions.packages('haproxy');
    const restart = actions.service('haproxy', { state: 'restarted', onChangeOf: [pkg] });
    const { script } = await buildPhaseScript(plan(actions.packages('curl'), pkg, restart), ctx, target);
    assert.match(script.shown, /# 1: service haproxy restarted\nfl_begin; fl_c1=0\nif \[ "\$fl_c0" = 1 \] \|\| \[ -e "\$fl_pending\/[0-9a-f]{16}" \]; then/);
  });

  test('a non-apt node is refused, naming node, phase and action', async () => {
    await assert.rejects(
      buildPhaseScript(plan(actions.packages('nginx')), ctx, { ...target, os: { family: 'alpine', version: '3.20' } }),
      (e: unknown) => e instanceof SpecError && /^node web-1, phase configure, action "packages nginx": .*alpine.*apt only/.test(e.message),
    );
  });
});
