// The CLI's edge: counts in both forms, and user mistakes as one clear line with no stack.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCounts } from '../../src/cli/counts.ts';
import { forklift, stackDir } from '../e2e/helpers.ts';

describe('counts', () => {
  it('reads GROUP=N and Pallet’s GROUP N', () => {
    assert.deepEqual(parseCounts(['lb=1', 'web=4']), { lb: 1, web: 4 });
    assert.deepEqual(parseCounts(['lb', '1', 'web', '4']), { lb: 1, web: 4 });
  });
  it('rejects a missing or bad count, naming the group', () => {
    assert.throws(() => parseCounts(['web']), /group "web" has no count/);
    assert.throws(() => parseCounts(['web=x']), /count "x" for group "web"/);
    assert.throws(() => parseCounts(['web=1', 'web=2']), /"web" is given twice/);
  });
});

describe('user mistakes print one line, no stack', () => {
  const dir = stackDir(`import { defineConfig, groupSpec, packages, plan } from 'forklift';
export default defineConfig({ stack: 'cli-errors', groups: [groupSpec('web', { phases: { configure: plan(packages('nginx')) } })] });
`);
  const cases: Array<[string[], RegExp]> = [
    [['converge', 'db=1'], /^forklift: group db: no such group; this stack has: web\n$/],
    [['converge', 'web=x'], /^forklift: count "x" for group "web" is not a whole number/],
    [['converge', '-f', 'missing.ts', 'web=1'], /^forklift: missing\.ts: file not found\n$/],
    [['lift', '--phase', 'deploy'], /^forklift: phase deploy: no group defines this phase; defined: configure\n$/],
    [['unlock'], /^forklift: local: the stack lock ends with the process that holds it; there is nothing to unlock\n$/],
  ];
  for (const [args, expected] of cases) {
    it(args.join(' '), async () => {
      const run = await forklift(args, dir);
      assert.equal(run.code, 1);
      assert.match(run.stderr, expected);
      assert.doesNotMatch(run.stderr, /\n\s+at /);
    });
  }
  const misconfigured: Array<[string, string, string]> = [
    ['a hosts entry with grup: instead of group:', `provider: { name: 'hosts', hosts: [{ host: '10.0.0.1', grup: 'web' }] }`, 'forklift.config.ts: provider.hosts.0.group: required; provider.hosts.0.grup: unknown field'],
    ['a local provider option typo', `provider: { name: 'local', lxcPat: '/srv/lxc' }`, 'forklift.config.ts: provider.lxcPat: unknown field'],
    ['an unknown provider', `provider: { name: 'lokal' }`, 'forklift.config.ts: provider.name: unknown provider "lokal"; known: local, cloudstack, hosts'],
  ];
  for (const [what, provider, line] of misconfigured) {
    it(`${what} is refused with one line naming the file and the field`, async () => {
      const dir = stackDir(`import { defineConfig, groupSpec } from 'forklift';
export default defineConfig({ stack: 'cli-errors', ${provider}, groups: [groupSpec('web')] } as never);
`);
      const run = await forklift(['nodes'], dir);
      assert.equal(run.code, 1);
      assert.equal(run.stderr, `forklift: ${line}\n`);
    });
  }
  it('a broken stack file names the file and the action at fault', async () => {
    const bad = stackDir(`import { defineConfig, groupSpec, file, plan } from 'forklift';
export default defineConfig({ stack: 'cli-errors', groups: [groupSpec('web', { phases: { configure: plan(file('etc/motd', { content: 'x' })) } })] });
`);
    const run = await forklift(['nodes'], bad);
    assert.equal(run.code, 1);
    assert.equal(run.stderr, 'forklift: forklift.config.ts: file: path: must be an absolute path\n');
  });
});
