// check: a dry run of lift. It finds drift made by hand, changes nothing on the node, and
// lift then repairs exactly that.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { OperationResult } from '../../src/index.ts';
import { ssh, testStack } from './nodes.ts';

const PAGE = '/root/page.html';
const { cli } = testStack('tck', (stack) => `import { defineConfig, directory, file, groupSpec, plan } from 'forklift';
export default defineConfig({ stack: '${stack}', groups: [groupSpec('web', { phases: { configure: plan(
  directory('/srv/site'),
  (ctx) => file('${PAGE}', { content: \`served by \${ctx.node.name}\\n\` }),
) } })] });
`);

describe('check', { concurrency: false }, () => {
  let web: { name: string; address: string };

  before(async () => {
    const run = await cli(['converge', '--json', '-q', 'web=2']);
    assert.equal(run.code, 0, run.stderr);
    web = (JSON.parse(run.stdout) as OperationResult).nodes[0]!;
  });

  it('reports nothing to change on a converged stack', async () => {
    const dry = await cli(['check', '-q']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /2 nodes, 0 actions would change/);
  });

  it('shows drift without touching it; lift repairs it', async () => {
    assert.equal(ssh(web, `echo drifted > ${PAGE}`).code, 0);
    const dry = await cli(['check', '-q']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /2 nodes, 1 action would change/);
    assert.match(dry.stdout, new RegExp(`${web.name} would change:\\n  configure: file ${PAGE}\\n`));
    assert.equal(ssh(web, `cat ${PAGE}`).stdout, 'drifted\n', 'check changed nothing');
    const json = JSON.parse((await cli(['check', '--json', '-q'])).stdout) as OperationResult;
    assert.deepEqual(json.nodes.flatMap((n) => n.actions.filter((a) => a.changed).map((a) => [n.name, a.name, a.status])), [[web.name, `file ${PAGE}`, 'would-change']]);
    const fixed = await cli(['lift', '--json', '-q']);
    assert.equal((JSON.parse(fixed.stdout) as OperationResult).changed, 1);
    assert.equal(ssh(web, `cat ${PAGE}`).stdout, `served by ${web.name}\n`);
  });
});
