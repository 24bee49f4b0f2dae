// Interrupted runs leave nothing behind (CloudStack, through the endpoint): the CLI talks
// to the endpoint through a proxy that SIGKILLs it at a given API request (cutting that
// request before the cloud sees it, or losing the cloud's answer), or when its progress
// output reaches a line. Then the next converge must reach the exact counts: no VM left
// untagged (a deploy whose createTags never came), none orphaned or doubled, the lock the
// killed run held taken over (its holder is gone from this host), no local node or firewall
// chain left behind a VM, and nothing of another group or stack touched. A second Ctrl-C
// quits without waiting for the cloud, and still releases the lock.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { localNodeName } from '../../src/endpoint/cloudstack/index.ts';
import { chainName, containerName, containerPrefix, DEFAULT_LXC_PATH } from '../../src/providers/local/index.ts';
import { TAG, type OperationResult } from '../../src/index.ts';
import { testEndpoint } from './endpoint.ts';
import { BIN, forklift, stackDir, stderrLine, waitFor } from './helpers.ts';
import { apiProxy, onStderrLine, recordEntries, runUntilKilled, type ApiProxy, type Cut, type Trigger } from './kill.ts';
import { stackName, testStack } from './nodes.ts';

const ep = testEndpoint('tkc');
let proxy: ApiProxy;
const source = (stack: string, groups: string[]) => `import { defineConfig, execChecked, groupSpec, nodeSpec, plan } from 'forklift';
const settle = (name: string) => execChecked(name, \`sleep 1; touch /root/\${name}\`, { creates: \`/root/\${name}\` });
export default defineConfig({ stack: '${stack}', provider: { name: 'cloudstack', keyDir: ${JSON.stringify(ep.keyDir)} }, groups: [${groups
  .map((g) => `groupSpec('${g}', { nodeSpec: nodeSpec({ network: { inboundPorts: [22] } }), phases: { bootstrap: plan(settle('booted')), configure: plan(settle('configured')) } })`)
  .join(', ')}] });
`;
const { stack, dir } = testStack('tkc', (name) => source(name, ['web', 'b-web']));
const neighbour = stackName('tkc', '-b');
const neighbourDir = stackDir(source(neighbour, ['web']));
const env = () => ({ ...ep.env(), CLOUDSTACK_ENDPOINT: proxy.url });

const lxc = DEFAULT_LXC_PATH;
const backing = (name: string) => name.startsWith(containerPrefix(ep.localStack));
const record = recordEntries(lxc, backing, readdirSync(lxc));
after(async () => {
  record.stop();
  await proxy?.close();
});

interface Vm { id: string; name: string; displayname: string; state: string; tags: Array<{ key: string; value: string }> }
const tag = (vm: Vm, key: string) => vm.tags.find((t) => t.key === key)?.value;
const vms = () => ep.client.list<Vm>('listVirtualMachines');
const lockGroups = async () => (await ep.client.list<{ name: string; description: string }>('listSecurityGroups')).filter((g) => g.name.startsWith('forklift.lock.'));

let bWeb: string;
let neighbourIds: string[];

async function converge(cwd: string, ...counts: string[]): Promise<{ result: OperationResult; stderr: string }> {
  const run = await forklift(['converge', '--json', ...counts], cwd, env());
  assert.equal(run.code, 0, `converge ${counts.join(' ')} failed:\n${run.stdout}\n${run.stderr}`);
  return { result: JSON.parse(run.stdout) as OperationResult, stderr: run.stderr };
}

/** After a recovering converge to `web` nodes: the cloud and the host hold exactly the stacks' nodes. */
async function assertClean(web: number): Promise<void> {
  const all = await vms();
  // The endpoint may still be finishing a deploy the killed run started (its VM is gone: it removes the node).
  const containers = await waitFor('one local node per VM, and none more', () => {
    const want = all.map((vm) => containerName(ep.localStack, localNodeName(vm.id))).sort();
    const have = readdirSync(lxc).filter(backing).sort();
    return JSON.stringify(have) === JSON.stringify(want) ? have : undefined;
  }, 60_000);
  const of = (s: string, g?: string) => all.filter((vm) => tag(vm, TAG.stack) === s && (!g || tag(vm, TAG.group) === g));
  assert.ok(all.every((vm) => vm.state === 'Running' && tag(vm, TAG.group)), `untagged or not running: ${JSON.stringify(all.filter((vm) => vm.state !== 'Running' || !tag(vm, TAG.group)).map((vm) => [vm.name, vm.state, vm.tags]))}`);
  assert.equal(of(stack, 'web').length, web, 'web VMs');
  assert.deepEqual(of(stack, 'b-web').map((vm) => vm.id), [bWeb], 'the b-web VM is the same one');
  assert.deepEqual(of(neighbour).map((vm) => vm.id).sort(), neighbourIds, 'the neighbour stack is untouched');
  assert.equal(all.length, web + 1 + neighbourIds.length, `VMs of no stack: ${JSON.stringify(all.map((vm) => [vm.name, vm.tags]))}`);
  assert.ok(all.every((vm) => tag(vm, TAG.bootstrapped) === 'true'), 'every VM is bootstrapped');
  assert.equal(new Set(of(stack).map((vm) => vm.name)).size, of(stack).length, 'duplicate names');
  assert.deepEqual(await lockGroups(), [], 'a lock is left');
  const rules = spawnSync('iptables', ['-w', '-S'], { encoding: 'utf8' }).stdout;
  const live = new Set(containers);
  for (const c of record.seen) assert.equal(rules.includes(`-N ${chainName(c)}\n`), live.has(c), `firewall chain of ${c} (${live.has(c) ? 'missing' : 'stale'})`);
}

interface Point {
  moment: string;
  args: string[];
  trigger: () => Trigger;
  then: number;
  /** Checks on what the kill left, before the next converge. */
  left?: (pid: number) => Promise<void>;
}

const request = (cmd: string, cut: Cut, also: (p: URLSearchParams) => boolean = () => true) => () => proxy.on((c, p) => c === cmd && also(p), cut);

const points: Point[] = [
  {
    moment: 'right after the stack lock was taken in the cloud',
    args: ['converge', 'web=2'],
    trigger: request('createSecurityGroup', 'after', (p) => p.get('name') === `forklift.lock.${stack}`),
    then: 2,
    async left(pid) {
      // The lock names the killed process and this host; the next converge sees it gone and takes over.
      const [lock] = await lockGroups();
      assert.match(lock?.description ?? '', new RegExp(`^forklift converge \\(pid ${pid} on ${hostname()}, since [^)]+\\) \\[[0-9a-f]{8}, boot [0-9a-f]{8}\\]$`));
    },
  },
  { moment: 'when deploy is asked, before the cloud gets it', args: ['converge', 'web=3'], trigger: request('deployVirtualMachine', 'before'), then: 3 },
  {
    moment: 'when the cloud answered deploy, before the answer arrives',
    args: ['converge', 'web=4'],
    trigger: request('deployVirtualMachine', 'after'),
    then: 3,
    async left() {
      assert.ok((await vms()).some((vm) => !tag(vm, TAG.stack) && vm.displayname.startsWith(`${stack}/`)), 'an untagged VM of the stack');
    },
  },
  {
    moment: "between deploy's answer and createTags",
    args: ['converge', 'web=4'],
    trigger: request('createTags', 'before', (p) => p.get('resourcetype') === 'UserVm'),
    then: 4,
    async left() {
      assert.ok((await vms()).some((vm) => !tag(vm, TAG.stack) && vm.displayname.startsWith(`${stack}/`)), 'an untagged VM of the stack');
    },
  },
  { moment: 'when a tagged VM is being waited for', args: ['converge', 'web=5'], trigger: request('listVirtualMachines', 'before', (p) => p.has('id')), then: 4 },
  { moment: 'when the first new node is up, others in flight', args: ['converge', 'web=6'], trigger: () => onStderrLine(/^\+ web-/), then: 4 },
  { moment: 'when bootstrap starts', args: ['converge', 'web=5'], trigger: () => onStderrLine(/^» bootstrap on/), then: 5 },
  { moment: 'when configure starts', args: ['converge', 'web=6'], trigger: () => onStderrLine(/^» configure on/), then: 6 },
  { moment: 'during a scale-down, when the cloud took the first destroy', args: ['converge', 'web=2'], trigger: request('destroyVirtualMachine', 'after'), then: 3 },
  { moment: 'during destroy, when the cloud took the first destroy', args: ['destroy', '--yes', 'web'], trigger: request('destroyVirtualMachine', 'after'), then: 2 },
];

describe('interrupted runs through the CloudStack endpoint', { concurrency: false, timeout: 20 * 60_000 }, () => {
  before(async () => {
    await ep.open();
    proxy = await apiProxy(ep.url);
    const start = await converge(dir, 'web=1', 'b-web=1');
    bWeb = start.result.nodes.find((n) => n.group === 'b-web')!.id;
    neighbourIds = (await converge(neighbourDir, 'web=1')).result.nodes.map((n) => n.id).sort();
    await assertClean(1);
  });

  for (const point of points) {
    it(`SIGKILL ${point.moment}: the next converge reaches web=${point.then}, nothing left behind`, async () => {
      const killed = await runUntilKilled(point.args, dir, point.trigger(), env());
      assert.ok(killed.at !== undefined, `the moment never came; the command ended (${killed.code}):\n${killed.stderr}`);
      assert.equal(killed.code, null, 'killed by the signal');
      await point.left?.(killed.pid);
      const vmsLeft = (await vms()).length;
      const next = await converge(dir, `web=${point.then}`);
      // The killed run's lock is taken over, by name.
      assert.match(next.stderr, new RegExp(`^· cloudstack: taking over the lock of stack ${stack} from forklift ${point.args[0]} \\(pid ${killed.pid} on ${hostname()}, since [^)]+\\) \\[[0-9a-f]{8}, boot [0-9a-f]{8}\\]: that process is gone from this host$`, 'm'));
      const removed = next.result.removed;
      console.error(`interrupt (cloudstack): ${point.moment}: killed at ${killed.at}; ${vmsLeft} VMs left; the next converge removed ${removed.length} (${[...new Set(removed.map((r) => r.reason))].join('; ') || 'none'}) and created ${next.result.nodes.filter((n) => n.created).length}`);
      await assertClean(point.then);
    });
  }

  it('a second Ctrl-C quits without waiting for the cloud, and releases the lock first', async () => {
    // The same stack with one more port for web: the converge opens it in the security group,
    // and the proxy holds the cloud's answer to that, so the first Ctrl-C has to wait for it.
    const wider = stackDir(source(stack, ['web', 'b-web']).replace('inboundPorts: [22]', 'inboundPorts: [22, 8080]'));
    const answer = proxy.hold((command) => command === 'authorizeSecurityGroupIngress');
    const child = spawn(process.execPath, [BIN, 'converge', 'web=3'], { cwd: wider, env: { ...process.env, ...env() }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((done) => child.on('close', done));
    try {
      await answer.held;
      child.kill('SIGINT');
      await stderrLine(child, /^stopping \(Ctrl-C again to quit at once\)…$/);
      child.kill('SIGINT');
      // It exits while the proxy still holds the answer it was waiting for.
      assert.equal(await exited, 130, stderr);
    } finally {
      answer.release();
    }
    assert.match(stderr, /^quitting: releasing the stack lock…$/m);
    assert.deepEqual(await lockGroups(), [], 'the lock was released');
    const next = await converge(dir, 'web=3');
    assert.doesNotMatch(next.stderr, /taking over the lock/);
    await assertClean(3);
    console.error(`interrupt (cloudstack): ${points.length} kill points and a second Ctrl-C, ${record.seen.size} local nodes behind VMs in all, 0 orphans`);
  });
});
