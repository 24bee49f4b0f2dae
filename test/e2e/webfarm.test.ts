// The webfarm from examples/, driven through the CLI on real local nodes, as the issue checks it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { chainName, containerName } from '../../src/providers/local/index.ts';
import type { NodeListing, OperationResult } from '../../src/index.ts';
import { byGroup, canConnect, forklift, leftovers, ROOT, servedBy, ssh, stackDir } from './helpers.ts';

const stack = `twf${process.pid}`;
const dir = stackDir(`import farm from '${ROOT}/examples/webfarm/forklift.config.ts';
export default { ...farm, stack: '${stack}' };
`);

async function converge(...counts: string[]): Promise<OperationResult> {
  const run = await forklift(['converge', '--json', '-q', ...counts], dir);
  assert.equal(run.code, 0, `converge ${counts.join(' ')} failed:\n${run.stdout}\n${run.stderr}`);
  return JSON.parse(run.stdout) as OperationResult;
}

const chainsOnHost = () => spawnSync('iptables', ['-w', '-S'], { encoding: 'utf8' }).stdout;

describe('webfarm on local nodes', { concurrency: false }, () => {
  let first: OperationResult;
  let lbAddress: string;
  const everNames = new Set<string>();

  before(async () => {
    first = await converge('lb=1', 'web=4');
    for (const n of first.nodes) everNames.add(n.name);
    lbAddress = byGroup(first, 'lb')[0]!.address;
  });

  after(async () => {
    await forklift(['destroy', '-q'], dir);
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

  it('check shows drift without touching it; lift repairs it', async () => {
    const web = byGroup(first, 'web')[0]!;
    const index = '/var/www/web/index.html';
    assert.equal(ssh(web.address, `echo drifted > ${index}`).code, 0);
    const dry = await forklift(['check', '-q'], dir);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /5 nodes, 1 action would change/);
    assert.match(dry.stdout, new RegExp(`${web.name} would change:\\n  configure: file ${index}\\n`));
    assert.equal(ssh(web.address, `cat ${index}`).stdout, 'drifted\n', 'check changed nothing');
    const json = JSON.parse((await forklift(['check', '--json', '-q'], dir)).stdout) as OperationResult;
    assert.deepEqual(json.nodes.flatMap((n) => n.actions.filter((a) => a.changed).map((a) => [n.name, a.name, a.status])), [[web.name, `file ${index}`, 'would-change']]);
    const fixed = await forklift(['lift', '--json', '-q'], dir);
    assert.equal((JSON.parse(fixed.stdout) as OperationResult).changed, 1);
    assert.equal(ssh(web.address, `cat ${index}`).stdout, `<h1>served by ${web.name}</h1>\n`);
  });

  it('ssh runs a command on one node, by name, with its host key pinned', async () => {
    const web = byGroup(first, 'web')[0]!;
    const run = await forklift(['ssh', web.name, '--', 'cat', '/var/www/web/index.html'], dir);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, `<h1>served by ${web.name}</h1>\n`);
    const exitCode = await forklift(['ssh', web.name, '--', 'exit 7'], dir);
    assert.equal(exitCode.code, 7);
    const unknown = await forklift(['ssh', 'web-nope'], dir);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, new RegExp(`^forklift: node web-nope: not in stack ${stack}; its nodes: lb-`));
  });

  it('a port not in inboundPorts is unreachable from the host while 80 is reachable', async () => {
    const web = byGroup(first, 'web')[0]!;
    assert.equal(ssh(web.address, 'setsid python3 -m http.server 8080 >/dev/null 2>&1 </dev/null & sleep 1; curl -s -o /dev/null -w %{http_code} http://127.0.0.1:8080/').stdout, '200');
    assert.equal(await canConnect(web.address, 8080), false, '8080 must be closed from outside');
    assert.equal(await canConnect(web.address, 80), true, '80 must be open');
  });

  it('nodes reads the stack back from the node tags', async () => {
    const run = await forklift(['nodes', '--json'], dir);
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
    const run = await forklift(['destroy'], dir);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(leftovers(stack), { containers: [], processes: [] });
    const rules = chainsOnHost();
    for (const name of everNames) assert.ok(!rules.includes(chainName(containerName(stack, name))), `chain of ${name} left behind`);
    const listed = await forklift(['nodes', '--json'], dir);
    assert.deepEqual(JSON.parse(listed.stdout), []);
  });
});
