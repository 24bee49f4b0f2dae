// Interrupted runs leave nothing behind (local nodes): the CLI is SIGKILLed at moments it
// cannot know in advance (a progress line, a container appearing, a node's files going,
// the stack lock being taken), then the next converge must reach the exact counts with no
// orphaned or duplicate node, no stale firewall chain, and nothing of another group or
// stack touched. The bystanders: group b-web of the stack (never given a count after the
// start) and stack <stack>-b, whose old-style names would collide with ours.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chainName, containerPrefix, createProvider, DEFAULT_LXC_PATH, STATE_DIR } from '../../src/providers/local/index.ts';
import { TAG, type OperationResult } from '../../src/index.ts';
import { forklift, stackDir } from './helpers.ts';
import { onNewEntry, onRemovalIn, onStderrLine, recordEntries, runUntilKilled, type Trigger } from './kill.ts';
import { stackName, testStack } from './nodes.ts';

// Each phase's action takes a second, so a kill lands while scripts run.
const source = (stack: string, groups: string[]) => `import { defineConfig, execChecked, groupSpec, plan } from 'forklift';
const settle = (name: string) => execChecked(name, \`sleep 1; touch /root/\${name}\`, { creates: \`/root/\${name}\` });
export default defineConfig({ stack: '${stack}', groups: [${groups.map((g) => `groupSpec('${g}', { phases: { bootstrap: plan(settle('booted')), configure: plan(settle('configured')) } })`).join(', ')}] });
`;
const { stack, dir, cli } = testStack('tkl', (name) => source(name, ['web', 'b-web']));
const neighbour = stackName('tkl', '-b');
const neighbourDir = stackDir(source(neighbour, ['web']));

const local = createProvider();
const lxc = DEFAULT_LXC_PATH;
const ours = (name: string) => name.startsWith(containerPrefix(stack));
const dirs = () => readdirSync(lxc).filter(ours).sort();
const record = recordEntries(lxc, ours, readdirSync(lxc));
after(() => record.stop());

let bWeb: string;
let neighbourIds: string[];

async function converge(cwd: string, ...counts: string[]): Promise<OperationResult> {
  const run = await forklift(['converge', '--json', '-q', ...counts], cwd);
  assert.equal(run.code, 0, `converge ${counts.join(' ')} failed:\n${run.stdout}\n${run.stderr}`);
  return JSON.parse(run.stdout) as OperationResult;
}

/** The state after a recovering converge to `web` nodes: exact, clean, bystanders untouched. */
async function assertClean(web: number): Promise<void> {
  const nodes = await local.listNodes(stack);
  assert.deepEqual(nodes.filter((n) => n.group === 'web').length, web, 'web nodes');
  assert.deepEqual(nodes.filter((n) => n.group === 'b-web').map((n) => n.id), [bWeb], 'the b-web node is the same one');
  assert.equal(nodes.length, web + 1, `nodes of other groups: ${nodes.map((n) => n.group)}`);
  assert.equal(new Set(nodes.map((n) => n.name)).size, nodes.length, 'duplicate names');
  assert.ok(nodes.every((n) => n.state === 'running' && n.tags[TAG.bootstrapped] === 'true'), `not all running and bootstrapped: ${nodes.map((n) => `${n.name}:${n.state}`)}`);
  assert.deepEqual(dirs(), nodes.map((n) => n.id).sort(), 'containers on the host (tagged or not) are exactly the nodes');
  assert.deepEqual((await local.listNodes(neighbour)).map((n) => n.id), neighbourIds, 'the neighbour stack is untouched');
  const rules = spawnSync('iptables', ['-w', '-S'], { encoding: 'utf8' }).stdout;
  const processes = spawnSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).stdout.split('\n').map((l) => l.split(/\s+/));
  const live = new Set(dirs());
  for (const c of record.seen) {
    assert.equal(rules.includes(`-N ${chainName(c)}\n`), live.has(c), `firewall chain of ${c} (${live.has(c) ? 'missing' : 'stale'})`);
    if (!live.has(c)) assert.ok(!processes.some((words) => words.includes(c)), `a process of removed node ${c} is left`);
  }
}

interface Point {
  moment: string;
  args: string[];
  trigger: () => Trigger;
  /** The web count the next converge asks for. */
  then: number;
}

const webDirs = async () => (await local.listNodes(stack)).filter((n) => n.group === 'web').map((n) => join(lxc, n.id));
let webNow: string[] = [];
const known = new Set<string>();

const points: Point[] = [
  { moment: 'when the stack lock is taken', args: ['converge', 'web=3'], trigger: () => onNewEntry(join(STATE_DIR, 'locks'), (n) => n === `${stack}.lock.holder`), then: 3 },
  { moment: 'when a new container directory appears (defined, not started)', args: ['converge', 'web=5'], trigger: () => onNewEntry(lxc, (n) => ours(n) && !known.has(n)), then: 4 },
  { moment: 'when the first new node is up, others in flight', args: ['converge', 'web=6'], trigger: () => onStderrLine(/^\+ web-/), then: 5 },
  { moment: 'when bootstrap starts', args: ['converge', 'web=7'], trigger: () => onStderrLine(/^» bootstrap on/), then: 6 },
  { moment: 'when the first node finished bootstrap', args: ['converge', 'web=7'], trigger: () => onStderrLine(/^ {2}✓ web-/), then: 7 },
  { moment: 'when configure starts', args: ['converge', 'web=8'], trigger: () => onStderrLine(/^» configure on/), then: 6 },
  { moment: 'during a scale-down, when the first node is removed', args: ['converge', 'web=2'], trigger: () => onStderrLine(/^- web-/), then: 4 },
  { moment: "during a scale-down, when a node's first file goes", args: ['converge', 'web=1'], trigger: () => onRemovalIn(webNow), then: 3 },
  { moment: 'during destroy, when the first node is removed', args: ['destroy', '--yes', 'web'], trigger: () => onStderrLine(/^- web-/), then: 3 },
  { moment: "during destroy, when a node's first file goes", args: ['destroy', '--yes', 'web'], trigger: () => onRemovalIn(webNow), then: 2 },
];

describe('interrupted runs on local nodes', { concurrency: false, timeout: 15 * 60_000 }, () => {
  before(async () => {
    const start = await converge(dir, 'web=2', 'b-web=1');
    bWeb = start.nodes.find((n) => n.group === 'b-web')!.id;
    neighbourIds = (await converge(neighbourDir, 'web=1')).nodes.map((n) => n.id);
    await assertClean(2);
  });

  for (const point of points) {
    it(`SIGKILL ${point.moment}: the next converge reaches web=${point.then}, nothing left behind`, async () => {
      webNow = await webDirs();
      dirs().forEach((d) => known.add(d));
      const killed = await runUntilKilled(point.args, dir, point.trigger());
      assert.ok(killed.at !== undefined, `the moment never came; the command ended (${killed.code}):\n${killed.stderr}`);
      assert.equal(killed.code, null, 'killed by the signal');
      const left = dirs().length;
      const next = await converge(dir, `web=${point.then}`);
      console.error(`interrupt (local): ${point.moment}: killed at ${killed.at}; ${left} containers left; the next converge removed ${next.removed.length} (${[...new Set(next.removed.map((r) => r.reason))].join('; ') || 'none'}) and created ${next.nodes.filter((n) => n.created).length}`);
      await assertClean(point.then);
    });
  }

  it('a destroy after all of it leaves no container or chain of the stack', async () => {
    const run = await cli(['destroy', '--yes', '-q']);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(dirs(), []);
    const rules = spawnSync('iptables', ['-w', '-S'], { encoding: 'utf8' }).stdout;
    for (const c of record.seen) assert.ok(!rules.includes(`-N ${chainName(c)}\n`), `stale chain of ${c}`);
    console.error(`interrupt (local): ${points.length} kill points, ${record.seen.size} containers made in all, 0 orphans`);
  });
});
