// examples/webfarm-cloudstack through the CLI, against the CloudStack-compatible endpoint started
// here on a free loopback port (its VMs are real local nodes): the checks for the
// cloudstack provider, then the same farm with the endpoint misbehaving.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { localNodeName } from '../../src/endpoint/cloudstack/index.ts';
import { containerName } from '../../src/providers/local/index.ts';
import { TAG, type NodeListing, type OperationResult } from '../../src/index.ts';
import { testEndpoint } from './endpoint.ts';
import { byGroup, ROOT, servedBy } from './helpers.ts';
import { hasChain, leftovers, testStack } from './nodes.ts';

const ep = testEndpoint('tcw');
const { stack, cli: run } = testStack('tcws', (name) => `import farm from '${ROOT}/examples/webfarm-cloudstack/forklift.config.ts';
export default { ...farm, stack: '${name}', provider: { ...farm.provider, keyDir: ${JSON.stringify(ep.keyDir)} } };
`);
const cli = (...args: string[]) => run(args, ep.env());
const localStack = ep.localStack;

async function converge(...counts: string[]): Promise<OperationResult> {
  const r = await cli('converge', '--json', '-q', ...counts);
  assert.equal(r.code, 0, `converge ${counts.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(r.stdout) as OperationResult;
}

interface Vm { id: string; name: string; state: string; tags: Array<{ key: string; value: string }> }
const allVms = () => ep.client.list<Vm>('listVirtualMachines');
const tagOf = (vm: Vm, key: string) => vm.tags.find((t) => t.key === key)?.value;
const vmContainer = (vmId: string) => containerName(localStack, localNodeName(vmId));
const everVms = new Set<string>();
const remember = (r: OperationResult) => r.nodes.forEach((n) => everVms.add(n.id));

/** No container, process or firewall chain is left for any VM this file ever made. */
function assertNothingLeft(): void {
  assert.deepEqual(leftovers(localStack), { containers: [], processes: [] });
  for (const id of everVms) assert.ok(!hasChain(localStack, localNodeName(id)), `firewall chain of VM ${id} left behind`);
}

/** Every VM the endpoint holds is a node of the stack with the given counts, and every local node backs one. */
async function assertNoOrphans(counts: Record<string, number>): Promise<void> {
  const vms = await allVms();
  assert.ok(vms.every((vm) => vm.state === 'Running' && tagOf(vm, TAG.stack) === stack), `orphaned VMs: ${JSON.stringify(vms.map((v) => [v.name, v.state, v.tags]))}`);
  const groups = vms.map((vm) => tagOf(vm, TAG.group)).sort();
  assert.deepEqual(groups, Object.entries(counts).flatMap(([g, n]) => Array<string>(n).fill(g)).sort());
  assert.deepEqual(leftovers(localStack).containers.sort(), vms.map((vm) => vmContainer(vm.id)).sort(), 'containers and VMs differ');
}

describe('webfarm on the cloudstack endpoint', { concurrency: false }, () => {
  let first: OperationResult;
  let lbAddress: string;

  before(async () => {
    await ep.open();
    first = await converge('lb=1', 'web=4');
    remember(first);
    lbAddress = byGroup(first, 'lb')[0]!.address;
  });

  it('converge lb=1 web=4 gives a working farm: 8 requests to the lb reach the 4 webs', async () => {
    assert.equal(first.ok, true);
    assert.equal(byGroup(first, 'web').length, 4);
    assert.equal(byGroup(first, 'lb').length, 1);
    assert.ok(first.nodes.every((n) => n.created));
    assert.deepEqual(await servedBy(lbAddress), new Set(byGroup(first, 'web').map((n) => n.name)));
    // Each node is a VM of the endpoint, tagged with stack and group, backed by one local container.
    const vms = await allVms();
    assert.deepEqual(vms.map((v) => v.id).sort(), first.nodes.map((n) => n.id).sort());
    for (const n of first.nodes) {
      const vm = vms.find((v) => v.id === n.id)!;
      assert.equal(vm.name, n.name);
      assert.equal(tagOf(vm, TAG.stack), stack);
      assert.equal(tagOf(vm, TAG.group), n.group);
      assert.equal(tagOf(vm, TAG.bootstrapped), 'true');
    }
    await assertNoOrphans({ lb: 1, web: 4 });
  });

  it('web=2 removes exactly two webs (VM and container) and the lb follows', async () => {
    const lbId = byGroup(first, 'lb')[0]!.id;
    const down = await converge('lb=1', 'web=2');
    assert.equal(down.removed.length, 2);
    assert.ok(down.removed.every((r) => r.group === 'web'));
    assert.equal(byGroup(down, 'lb')[0]!.id, lbId, 'the lb is the same VM');
    assert.ok(down.nodes.every((n) => !n.created));
    assert.ok(byGroup(down, 'web').every((n) => n.actions.every((a) => !a.changed)), 'web nodes untouched');
    // haproxy saw both remaining servers UP (it reports on stderr, without failing, when it gave up waiting)
    const wait = byGroup(down, 'lb')[0]!.actions.find((a) => a.name.startsWith('wait for backend'));
    assert.equal(wait?.changed, true);
    assert.equal(wait.stderr, '');
    const left = new Set(byGroup(down, 'web').map((n) => n.name));
    assert.equal(left.size, 2);
    assert.deepEqual(await servedBy(lbAddress), left);
    const containers = leftovers(localStack).containers;
    for (const r of down.removed) assert.ok(!containers.includes(vmContainer(r.id)), `container of ${r.name} left behind`);
    await assertNoOrphans({ lb: 1, web: 2 });
  });

  it('nodes --json reads the stack back from tags alone, also after an endpoint restart', async () => {
    const read = async () => {
      const run = await cli('nodes', '--json');
      assert.equal(run.code, 0, run.stderr);
      return (JSON.parse(run.stdout) as NodeListing[]).sort((a, b) => a.id.localeCompare(b.id));
    };
    const list = await read();
    assert.deepEqual(list.map((n) => n.group).sort(), ['lb', 'web', 'web']);
    assert.ok(list.every((n) => n.state === 'running' && n.tags[TAG.stack] === stack && n.tags[TAG.bootstrapped] === 'true' && n.tags[TAG.image] === 'debian-12'));
    await ep.open(); // a fresh endpoint reading the same data file
    assert.deepEqual(await read(), list);
    assert.deepEqual(await servedBy(lbAddress, 4), new Set(list.filter((n) => n.group === 'web').map((n) => n.name)));
  });

  it('destroy leaves no VM in the endpoint and no container', async () => {
    const run = await cli('destroy', '--yes');
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(await allVms(), []);
    assertNothingLeft();
    assert.deepEqual(JSON.parse((await cli('nodes', '--json')).stdout), []);
  });

  it('with 429s, a 533, slow jobs, a failing deploy job and dropped connections: converge recovers or says why; a re-run reaches the counts with no orphan', async () => {
    await ep.open({ rateLimitEvery: 7, capacityFailures: 1, jobDelayMs: 400, failDeployJobs: 1, dropEvery: 29 });
    const firstTry = await cli('converge', '--json', '-q', 'lb=1', 'web=1');
    if (firstTry.code !== 0) {
      // A clear error: which node or command failed, and why, never an internal error or a secret.
      const said = `${firstTry.stdout}\n${firstTry.stderr}`;
      console.error(`first converge under faults failed as reported:\n${said}`);
      assert.notEqual(firstTry.code, 70, `internal error:\n${said}`);
      assert.match(said, /cloudstack: \w+ failed|could not be created|failed/);
      assert.ok(!said.includes(ep.secretKey) && !said.includes(ep.apiKey), 'credentials leaked into the output');
    }
    const again = await converge('lb=1', 'web=1');
    remember(again);
    assert.equal(again.ok, true);
    assert.deepEqual(again.nodes.map((n) => n.group).sort(), ['lb', 'web']);
    await assertNoOrphans({ lb: 1, web: 1 });
    const lb = byGroup(again, 'lb')[0]!;
    assert.deepEqual(await servedBy(lb.address, 2), new Set([byGroup(again, 'web')[0]!.name]));
    const run = await cli('destroy', '--yes', '-q');
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(await allVms(), []);
    assertNothingLeft();
  });
});
