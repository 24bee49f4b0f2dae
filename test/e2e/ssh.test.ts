// forklift ssh: a command (or a shell) on one node by name, with forklift's key and the
// node's recorded host key pinned.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { OperationResult } from '../../src/index.ts';
import { testStack } from './nodes.ts';

const { stack, cli } = testStack('tssh', (name) => `import { defineConfig, file, groupSpec, plan } from 'forklift';
export default defineConfig({ stack: '${name}', groups: [groupSpec('web', { phases: { configure: plan((ctx) => file('/root/name', { content: ctx.node.name + '\\n' })) } })] });
`);

describe('ssh', { concurrency: false }, () => {
  let web: { name: string };

  before(async () => {
    const run = await cli(['converge', '--json', '-q', 'web=1']);
    assert.equal(run.code, 0, run.stderr);
    web = (JSON.parse(run.stdout) as OperationResult).nodes[0]!;
  });

  it('runs a command on one node by name and passes its exit code through', async () => {
    const run = await cli(['ssh', web.name, '--', 'cat', '/root/name']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, `${web.name}\n`);
    const exitCode = await cli(['ssh', web.name, '--', 'exit 7']);
    assert.equal(exitCode.code, 7);
  });

  it('an unknown node is one line listing the stack’s nodes', async () => {
    const unknown = await cli(['ssh', 'web-nope']);
    assert.equal(unknown.code, 2, 'a wrong argument is a usage error');
    assert.match(unknown.stderr, new RegExp(`^forklift: node web-nope: not in stack ${stack}; its nodes: ${web.name}\\n$`));
  });
});
