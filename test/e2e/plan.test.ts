// plan, diffs, exit codes for CI, saved plans and a safe destroy, on the web farm's groups
// on real local nodes (lb=1 web=2, planned to web=4), with a secret file on the webs.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import type { OperationResult, StackPlan } from '../../src/index.ts';
import { BIN, byGroup, ROOT, waitFor } from './helpers.ts';
import { ssh, testStack } from './nodes.ts';
import { terminal } from './terminal.ts';

const TOKEN = 'tok-9f3a61c2-planned';
const OLD = 'old-7d41e0b8-by-hand';
const PAGE = '/var/www/web/index.html';
const { cli, dir } = testStack('tpl', (name) => `import { defineConfig, file, groupSpec, line, plan, secret, serverSpec } from 'forklift';
import { debianNode, webfarmGroups } from '${ROOT}/examples/webfarm/specs.ts';
const [web, lb] = webfarmGroups;
const app = serverSpec({ phases: { configure: plan(
  file('/etc/app.env', { content: secret('MODE=prod\\nTOKEN=${TOKEN}\\nPORT=80\\n'), mode: '0600' }),
  line('/etc/app.conf', { line: 'greeting = hello', match: '^greeting', create: true }),
) } });
export default defineConfig({ stack: '${name}', groups: [groupSpec('web', { roles: ['web'], extends: [web, app], nodeSpec: debianNode }), lb] });
`);

const json = <T>(run: { stdout: string; stderr: string }) => {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`not JSON:\n${run.stdout}\n${run.stderr}`);
  }
};
const diffHeaders = (text: string) => [...text.matchAll(/^\s*--- (\S+)/gm)].map((m) => m[1]);

describe('plan', { concurrency: false }, () => {
  let webs: Array<{ name: string; address: string }>;
  let lb: { name: string; address: string };
  const folder = mkdtempSync(join(tmpdir(), 'forklift-plan-'));

  before(async () => {
    const run = await cli(['converge', '--json', '-q', 'lb=1', 'web=2']);
    assert.equal(run.code, 0, run.stderr);
    const result = json<OperationResult>(run);
    webs = byGroup(result, 'web');
    lb = byGroup(result, 'lb')[0]!;
  });

  it('on a converged stack: no changes, exit 0 with --detailed-exitcode', async () => {
    const run = await cli(['plan', '-q', '--detailed-exitcode']);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /^No changes\. Stack \S+ matches its code \(3 nodes\)\./);
  });

  it('after a hand edit of one page: that one diff and nothing else; exit 2; nothing changed', async () => {
    assert.equal(ssh(webs[0]!, `echo 'edited by hand' > ${PAGE}`).code, 0);
    const run = await cli(['plan', '-q', '--detailed-exitcode']);
    assert.equal(run.code, 2, run.stdout + run.stderr);
    assert.deepEqual(diffHeaders(run.stdout), [PAGE]);
    assert.match(run.stdout, new RegExp(`~ ${webs[0]!.name} \\(web\\)[^\\n]*:\\n  configure: file ${PAGE}\\n    --- ${PAGE} \\(now\\)\\n    \\+\\+\\+ ${PAGE} \\(planned\\)\\n    @@ -1 \\+1 @@\\n    -edited by hand\\n    \\+<h1>served by ${webs[0]!.name}</h1>\\n`));
    assert.doesNotMatch(run.stdout, new RegExp(`${webs[1]!.name}|${lb.name}`));
    assert.match(run.stdout, /: 0 nodes to create, 0 to remove, 1 action to change on 1 node\./);
    assert.equal(ssh(webs[0]!, `cat ${PAGE}`).stdout, 'edited by hand\n', 'plan changed nothing');
    // check shows the same diff, and takes --detailed-exitcode too.
    const dry = await cli(['check', '-q', '--detailed-exitcode']);
    assert.equal(dry.code, 2, dry.stderr);
    assert.deepEqual(diffHeaders(dry.stdout), [PAGE]);
    assert.match(dry.stdout, /-edited by hand/);
  });

  it('plan lb=1 web=4: two creates and the haproxy.cfg gaining exactly two backends; nothing made', async () => {
    const run = await cli(['plan', '-q', '--json', 'lb=1', 'web=4']);
    assert.equal(run.code, 0, run.stderr);
    const plan = json<StackPlan>(run);
    assert.equal(plan.create.length, 2);
    assert.deepEqual(plan.remove, []);
    assert.ok(plan.create.every((c) => c.group === 'web'));
    const lbNode = plan.nodes.find((n) => n.group === 'lb')!;
    const cfg = lbNode.actions.find((a) => a.name === 'file /etc/haproxy/haproxy.cfg')!;
    assert.equal(cfg.status, 'would-change');
    const diff = cfg.changes![0]!.diff!;
    const added = diff.split('\n').filter((l) => l.startsWith('+') && !l.startsWith('+++'));
    const removed = diff.split('\n').filter((l) => l.startsWith('-') && !l.startsWith('---'));
    assert.deepEqual(added.sort(), plan.create.map((c) => `+  server ${c.name} (known after create):80 check inter 1s fall 2 rise 1`).sort());
    assert.deepEqual(removed, []);
    // New names are drawn for each plan (a saved plan keeps them): two creates, each named.
    const text = await cli(['plan', '-q', 'lb=1', 'web=4']);
    assert.equal(text.stdout.match(/^\+ web-[0-9a-f]+ \(web\): create, then bootstrap and configure$/gm)?.length, 2, text.stdout);
    assert.match(text.stdout, /^Plan for stack \S+: 2 nodes to create, 0 to remove/);
    const nodes = json<unknown[]>(await cli(['nodes', '--json']));
    assert.equal(nodes.length, 3, 'plan created nothing');
  });

  it('never shows a secret: its lines show as changed, ***, in plan, --json, check, lift --diff and --show-scripts', async () => {
    assert.equal(ssh(webs[1]!, `printf 'MODE=prod\\nTOKEN=${OLD}\\nPORT=8080\\n' > /etc/app.env`).code, 0);
    const runs = [
      await cli(['plan', '-q', '--show-scripts']),
      await cli(['plan', '-q', '--json', '--show-scripts', 'lb=1', 'web=4']),
      await cli(['check', '-q', '--show-scripts', '-v']),
    ];
    for (const run of runs) {
      assert.ok(!(run.stdout + run.stderr).includes(TOKEN), 'the secret is not shown');
      assert.ok(!(run.stdout + run.stderr).includes(OLD), 'the old secret on the node is not shown');
    }
    assert.match(runs[0]!.stdout, /--- \/etc\/app\.env \(now\)\n\s+\+\+\+ \/etc\/app\.env \(planned\)\n\s+@@ [^\n]+\n\s+-\*\*\*\n\s+-\*\*\*\n\s+-\*\*\*\n\s+\+\*\*\*\n\s+\+\*\*\*\n\s+\+\*\*\*/);
    assert.match(runs[0]!.stdout, /# ---- \S+, phase configure ----\n# forklift apply script/);
    assert.match(runs[0]!.stdout, /printf '%s' \*\*\* \| cat/);
    const lifted = await cli(['lift', '-q', '--diff']);
    assert.equal(lifted.code, 0, lifted.stderr);
    assert.ok(!(lifted.stdout + lifted.stderr).includes(OLD) && !(lifted.stdout + lifted.stderr).includes(TOKEN));
    assert.match(lifted.stdout, new RegExp(`${webs[1]!.name} changed:\\n  configure: file /etc/app.env\\n    --- /etc/app.env \\(now\\)`));
    assert.match(lifted.stdout, /-edited by hand/, 'lift --diff shows the page it repaired');
    assert.equal(ssh(webs[1]!, 'cat /etc/app.env').stdout, `MODE=prod\nTOKEN=${TOKEN}\nPORT=80\n`);
  });

  it('a line edit shows its diff, computed on the node', async () => {
    assert.equal(ssh(webs[0]!, "printf 'a = 1\\ngreeting = hi\\n' > /etc/app.conf").code, 0);
    const run = await cli(['check', '-q']);
    assert.match(run.stdout, /--- \/etc\/app\.conf \(now\)\n\s+\+\+\+ \/etc\/app\.conf \(planned\)\n\s+@@ -1,2 \+1,2 @@\n\s+ a = 1\n\s+-greeting = hi\n\s+\+greeting = hello/);
    assert.equal((await cli(['lift', '-q'])).code, 0);
  });

  it('a saved plan refuses, by name, a node edited after the plan, and changes nothing; a fresh one applies exactly', async () => {
    const file = join(folder, 'plan.json');
    const made = await cli(['plan', '-q', '--out', file, 'lb=1', 'web=2']);
    assert.equal(made.code, 0, made.stderr);
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).format, 'forklift-plan');
    assert.equal(ssh(webs[1]!, `echo 'edited after the plan' > ${PAGE}`).code, 0);
    const refused = await cli(['converge', '-q', '--plan', file]);
    assert.equal(refused.code, 1, refused.stdout + refused.stderr);
    assert.equal(refused.stderr, `forklift: the saved plan is stale, nothing was changed: node ${webs[1]!.name}: action "file ${PAGE}" was ok in the plan and is would-change now; run forklift plan again\n`);
    assert.doesNotMatch(refused.stderr, new RegExp(webs[0]!.name));
    assert.equal(ssh(webs[1]!, `cat ${PAGE}`).stdout, 'edited after the plan\n', 'nothing applied');

    const again = await cli(['converge', '-q', '--plan', 'lb=1', 'web=2', '--out', file]);
    assert.equal(again.code, 0, again.stderr);
    const applied = await cli(['converge', '-q', '--json', '--plan', file]);
    assert.equal(applied.code, 0, applied.stderr);
    const result = json<OperationResult>(applied);
    assert.deepEqual(result.nodes.flatMap((n) => n.actions.filter((a) => a.changed && !a.name.startsWith('service')).map((a) => `${n.name} ${a.name}`)), [`${webs[1]!.name} file ${PAGE}`]);
    assert.equal(ssh(webs[1]!, `cat ${PAGE}`).stdout, `<h1>served by ${webs[1]!.name}</h1>\n`);
  });

  it('a bad plan file is one line naming the file and the field', async () => {
    const file = join(folder, 'bad.json');
    writeFileSync(file, JSON.stringify({ format: 'forklift-plan', version: 1, stack: 'x', createdAt: '', counts: {}, phases: [], create: [{ name: 'web-1' }], remove: [], nodes: [] }));
    const run = await cli(['converge', '--plan', file]);
    assert.equal(run.code, 1);
    assert.equal(run.stderr, `forklift: ${file}: not a valid saved plan: create.0.group: required\n`);
  });

  it('--detailed-exitcode: a usage error exits 1, not 2', async () => {
    const run = await cli(['plan', '--detailed-exitcode', 'web=x']);
    assert.equal(run.code, 1, run.stderr);
  });

  it('destroy without a terminal and without --yes refuses, with one line, and removes nothing', async () => {
    const run = await cli(['destroy', 'web']);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /^forklift: destroy would remove 2 nodes of stack \S+ \(web-[0-9a-f]+, web-[0-9a-f]+\) and asks first, but there is no terminal to ask on; pass --yes to remove them\n$/);
    assert.equal(json<unknown[]>(await cli(['nodes', '--json'])).length, 3);
  });

  it('destroy on a terminal lists what it will remove and asks: no removes nothing, yes removes exactly those', async () => {
    const tty = terminal('destroy', dir);
    const asked = async () => {
      const screen = await waitFor('the question', () => (/Type yes to remove:/.test(tty.screen()) ? tty.screen() : undefined));
      for (const w of webs) assert.match(screen, new RegExp(`  - ${w.name} \\(web\\) ${w.address.replaceAll('.', '\\.')}\n`));
      assert.doesNotMatch(screen, new RegExp(lb.name));
    };
    const declined = tty.run(`${process.execPath} ${BIN} destroy web`);
    await asked();
    tty.keys('no', 'Enter');
    assert.equal(await declined, 1);
    assert.match(tty.screen(), /^forklift: destroy cancelled; nothing was removed$/m);
    assert.equal(json<unknown[]>(await cli(['nodes', '--json'])).length, 3);
    const confirmed = tty.run(`${process.execPath} ${BIN} destroy web`);
    await asked();
    tty.keys('yes', 'Enter');
    assert.equal(await confirmed, 0, tty.screen());
    assert.deepEqual(json<Array<{ name: string }>>(await cli(['nodes', '--json'])).map((n) => n.name), [lb.name]);
    const removed = await cli(['destroy', '--yes', '-q', '--json']);
    assert.equal(removed.code, 0, removed.stderr);
    assert.deepEqual(json<Array<{ name: string }>>(removed).map((n) => n.name), [lb.name]);
  });
});
