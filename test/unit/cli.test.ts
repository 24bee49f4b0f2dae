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
  // [arguments, exit code (2: the command line is wrong), the one line printed]
  const cases: Array<[string[], number, RegExp]> = [
    [['converge', 'db=1'], 1, /^forklift: group db: no such group; this stack has: web; add groupSpec\('db', …\) to the stack file's groups to make one\n$/],
    [['converge', 'wbe=1'], 1, /^forklift: group wbe: no such group; this stack has: web; did you mean web\?\n$/],
    [['converge', 'web=x'], 2, /^forklift: count "x" for group "web" is not a whole number/],
    [['converge', '-f', 'missing.ts', 'web=1'], 1, /^forklift: missing\.ts: file not found\n$/],
    [['lift', '--phase', 'deploy'], 1, /^forklift: phase deploy: no group defines this phase; defined: configure\n$/],
    [['unlock'], 2, /^forklift: local: the stack lock ends with the process that holds it; there is nothing to unlock\n$/],
    [['destroy', 'typo'], 1, /^forklift: group typo: no such group; this stack has: web; add groupSpec/],
    [['lift', '--timeout', 'soon'], 2, /^forklift: option '--timeout <seconds>' argument 'soon' is invalid\. "soon" is not a positive number of seconds\n$/],
    [['exec', '--timeout', '0.0001', 'web', '--', 'true'], 2, /"0\.0001" is not a positive number of seconds/],
    [['converge', '--bogus', 'web=1'], 2, /^forklift: unknown option '--bogus'\n$/],
  ];
  for (const [args, code, expected] of cases) {
    it(args.join(' '), async () => {
      const run = await forklift(args, dir);
      assert.equal(run.code, code, run.stderr);
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
  it('CLOUDSTACK_ENDPOINT that is not a URL is named, before any request', async () => {
    const cs = stackDir(`import { defineConfig, groupSpec } from 'forklift';
export default defineConfig({ stack: 'cli-errors', provider: { name: 'cloudstack' }, groups: [groupSpec('web')] });
`);
    const run = await forklift(['nodes'], cs, { CLOUDSTACK_ENDPOINT: 'localhost:8080', CLOUDSTACK_KEY: 'k', CLOUDSTACK_SECRET: 'hush' });
    assert.equal(run.code, 1);
    assert.equal(run.stderr, 'forklift: cloudstack: $CLOUDSTACK_ENDPOINT "localhost:8080" is not an http:// or https:// URL (e.g. http://localhost:8080/client/api)\n');
  });
  it('an osVersionMatches that is not a regular expression names the field', async () => {
    const bad = stackDir(`import { defineConfig, groupSpec, nodeSpec } from 'forklift';
export default defineConfig({ stack: 'cli-errors', provider: { name: 'cloudstack' }, groups: [groupSpec('web', { nodeSpec: nodeSpec({ image: { osVersionMatches: '12(' } }) })] });
`);
    const run = await forklift(['nodes'], bad);
    assert.equal(run.code, 1);
    assert.equal(run.stderr, 'forklift: forklift.config.ts: nodeSpec: image.osVersionMatches: not a valid regular expression\n');
  });
  it('a broken stack file names the file and the action at fault', async () => {
    const bad = stackDir(`import { defineConfig, groupSpec, file, plan } from 'forklift';
export default defineConfig({ stack: 'cli-errors', groups: [groupSpec('web', { phases: { configure: plan(file('etc/motd', { content: 'x' })) } })] });
`);
    const run = await forklift(['nodes'], bad);
    assert.equal(run.code, 1);
    assert.equal(run.stderr, 'forklift: forklift.config.ts: file: path: must be an absolute path\n');
  });
});
