// The webfarm from examples/, driven through the CLI on real local nodes, as the issue checks it.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { containerName } from '../../src/providers/local/index.ts';
import type { NodeListing, OperationResult } from '../../src/index.ts';
import { byGroup, canConnect, ROOT, servedBy } from './helpers.ts';
import { hasChain, leftovers, serveHttp, testStack } from './nodes.ts';

const { stack, cli } = testStack('twf', (name) => `import farm from '${ROOT}/examples/webfarm/forklift.config.ts';
export default { ...farm, stack: '${name}' };
`);

async function converge(...counts: string[]): Promise<OperationResult> {
  const run = await cli(['converge', '--json', '-q', ...counts]);
  assert.equal(run.code, 0, `converge ${counts.join(' ')} failed:\n${run.stdout}\n${run.stderr}`);
  return JSON.parse(run.stdout) as OperationResult;
}

describe('webfarm on local nodes', { concurrency: false }, () => {
  let first: OperationResult;
  let lbAddress: string;
  const everNames = new Set<string>();

  before(async () => {
    first = await converge('lb=1', 'web=4');
    for (const n of first.nodes) everNames.add(n.name);
    lbAddress = byGroup(first, 'lb')[0]!.address;
  });

  it('converge lb=1 web=4 serves all four web nodes through the lb', async () => {
    assert.equal(first.ok, true);
    assert.equal(byGroup(first, 'web').length, 4);
    assert.equal(byGroup(first, 'lb').length, 1);
    assert.ok(first.nodes.every((n) => n.created));
    const webs = new Set(byGroup(first, 'web').map((n) => n.name));
    assert.deepEqual(await servedBy(lbAddress), webs);
  });

  it('reports every action with name, changed, exit code, stdout and stderr in --json', () => {
    const web = byGroup(first, 'web')[0]!;
    const pkg = web.actions.find((a) => a.name.startsWith('packages'));
    assert.ok(pkg, 'a packages action');
    assert.deepEqual(Object.keys(pkg).sort(), ['changed', 'exitCode', 'name', 'phase', 'status', 'stderr', 'stdout']);
    // base + nginx packages fold into ONE install per node and phase
    assert.equal(web.actions.filter((a) => a.phase === 'configure' && a.name.startsWith('packages')).length, 1);
    assert.match(pkg.name, /curl.*nginx|nginx.*curl/);
  });

  it('a second converge creates nothing and changes nothing', async () => {
    const again = await converge('lb=1', 'web=4');
    assert.equal(again.changed, 0);
    assert.equal(again.nodes.length, 5);
    assert.ok(again.nodes.every((n) => !n.created && n.ok));
    assert.deepEqual(again.removed, []);
  });

  it('a port not in inboundPorts is unreachable from the host while 80 is reachable', async () => {
    const web = byGroup(first, 'web')[0]!;
    serveHttp(web, [8080]);
    assert.equal(await canConnect(web.address, 8080), false, '8080 must be closed from outside');
    assert.equal(await canConnect(web.address, 80), true, '80 must be open');
  });

  it('nodes reads the stack back from the node tags', async () => {
    const run = await cli(['nodes', '--json']);
    assert.equal(run.code, 0, run.stderr);
    const list = JSON.parse(run.stdout) as NodeListing[];
    assert.equal(list.length, 5);
    assert.ok(list.every((n) => n.tags['forklift-stack'] === stack && n.tags['forklift-bootstrapped'] === 'true'));
    assert.deepEqual(list.map((n) => n.group).sort(), ['lb', 'web', 'web', 'web', 'web']);
  });

  it('web=2 removes exactly two web nodes and the lb follows; web=4 adds two back', async () => {
    const lbId = byGroup(first, 'lb')[0]!.id;
    const down = await converge('lb=1', 'web=2');
    assert.equal(down.removed.length, 2);
    assert.ok(down.removed.every((r) => r.group === 'web'));
    assert.equal(byGroup(down, 'lb')[0]!.id, lbId, 'the lb is the same node');
    assert.ok(down.nodes.every((n) => !n.created));
    // only the lb's config changed (and its reload): web nodes untouched
    assert.ok(byGroup(down, 'web').every((n) => n.actions.every((a) => !a.changed)));
    const left = new Set(byGroup(down, 'web').map((n) => n.name));
    assert.equal(left.size, 2);
    assert.deepEqual(await servedBy(lbAddress), left);
    for (const r of down.removed) assert.deepEqual(leftovers(stack).containers.filter((c) => c === containerName(stack, r.name)), []);

    const up = await converge('lb=1', 'web=4');
    assert.equal(byGroup(up, 'web').filter((n) => n.created).length, 2);
    for (const n of up.nodes) everNames.add(n.name);
    assert.equal((await servedBy(lbAddress)).size, 4);
  });

  it('destroy leaves no container, firewall chain or process of the stack', async () => {
    const run = await cli(['destroy', '--yes']);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(leftovers(stack), { containers: [], processes: [] });
    for (const name of everNames) assert.ok(!hasChain(stack, name), `chain of ${name} left behind`);
    const listed = await cli(['nodes', '--json']);
    assert.deepEqual(JSON.parse(listed.stdout), []);
  });
});
