// Rolling with the topology. forklift knows which plans read which nodes: a node's readers
// are the nodes whose configure plan renders differently without it (haproxy's backend
// listing nodesWithRole('web'), any crate that reads a role or a group). So taking a node
// out of service needs no per-crate code: its readers run their configure with the stack
// as it will be, the node left out (haproxy rewrites its config and reloads gracefully, and
// waits until the servers it keeps are UP), and put it back the same way.
//
// - `lift --rolling`: for each batch (serial, default 1): its readers are configured
//   without it, the batch runs its phases, then its `health` phase when its group defines
//   one (e.g. nginx.health: HTTP on the node until it answers), then the readers are
//   configured with it again. A node that failed stays out of its readers.
// - converge scaling down: the readers of the nodes to remove are configured without them
//   before the nodes are destroyed, so no request goes to a node being destroyed.
import type { Failure } from '../errors.ts';
import type { NodeRef } from '../spec/plan.ts';
import { phasePlan } from '../spec/server.ts';
import { gatherFacts } from './facts.ts';
import type { Operation, StackNode } from './operation.ts';
import { contextFactory, runPhase, targetOf, type NodePhaseResult } from './phase.ts';
import { buildPhaseScript } from './script.ts';

/** The phase a group may define to say when a node is healthy again (read-only checks that wait). */
export const HEALTH_PHASE = 'health';

/** What the rolling hooks need of the run they are part of (runPhases). */
export interface RunAccess {
  /** Every node of the stack the run knows (the readers come from these). */
  nodes: readonly StackNode[];
  ok(node: StackNode): boolean;
  /** Run a phase on nodes as part of the run: their results and failures are the run's. */
  runOne(phase: string, on: StackNode[]): Promise<unknown>;
}

export interface BatchHooks {
  /** Before a batch's phases; a failure stops the run before the batch (it is untouched). */
  before(batch: readonly StackNode[]): Promise<Failure | undefined>;
  /** After them; a failure stops the run before the next batch. */
  after(batch: readonly StackNode[]): Promise<Failure | undefined>;
}

/**
 * Readers among `candidates`: nodes whose configure renders differently when `gone` is not
 * part of the stack. Pure rendering, nothing runs.
 */
export async function readersOf(op: Operation, candidates: readonly StackNode[], all: readonly NodeRef[], gone: ReadonlySet<string>): Promise<StackNode[]> {
  if (!gone.size) return [];
  const full = contextFactory(op.stack.stack, 'configure', all);
  const without = contextFactory(op.stack.stack, 'configure', all.filter((r) => !gone.has(r.id)));
  const readers: StackNode[] = [];
  for (const node of candidates) {
    if (gone.has(node.info.id)) continue;
    const item = phasePlan(node.group, 'configure');
    if (!item) continue;
    const [a, b] = await Promise.all([buildPhaseScript(item, full(node.ref), targetOf(node)), buildPhaseScript(item, without(node.ref), targetOf(node))]);
    if (a.script.text !== b.script.text) readers.push(node);
  }
  return readers;
}

/**
 * Nodes of the run that read other nodes of the run (of other groups): a rolling run
 * configures them first, all at once, so that they take part in rolling the others.
 */
export async function readersInScope(op: Operation, working: readonly StackNode[], all: readonly NodeRef[]): Promise<StackNode[]> {
  const out: StackNode[] = [];
  for (const group of new Set(working.map((n) => n.info.group))) {
    const others = new Set(working.filter((n) => n.info.group !== group).map((n) => n.info.id));
    out.push(...(await readersOf(op, working.filter((n) => n.info.group === group), all, others)));
  }
  return out;
}

export interface ReadersRun {
  failures: Failure[];
  /** What each reader's configure did, by node id. */
  results: Map<string, NodePhaseResult>;
}

/** Run configure on `readers` with the stack seen as `all`. */
export async function configureReaders(op: Operation, readers: readonly StackNode[], all: readonly NodeRef[]): Promise<ReadersRun> {
  const facts = await gatherFacts(op, readers.filter((r) => !r.ref.facts), () => 'configure', true);
  const ready = readers.filter((r) => !facts.has(r.info.id));
  const results: Map<string, NodePhaseResult> = ready.length
    ? await runPhase(op, { phase: 'configure', nodes: ready, all, planFor: (n) => phasePlan(n.group, 'configure') })
    : new Map();
  return { failures: [...facts.values(), ...[...results.values()].flatMap((r) => (r.ok ? [] : [r.error ?? { code: 'FAILED', message: 'a reader failed' }]))], results };
}

/** The hooks of `lift --rolling`, around each batch of the run. */
export function rollingHooks(op: Operation, run: RunAccess): BatchHooks {
  const refs = () => run.nodes.map((n) => n.ref);
  // Nodes that failed in this run stay out of their readers.
  const heldOut = () => new Set(run.nodes.filter((n) => !run.ok(n)).map((n) => n.info.id));
  let readers: StackNode[] = [];
  const without = (gone: ReadonlySet<string>) => refs().filter((r) => !gone.has(r.id));
  return {
    async before(batch) {
      const members = new Set(batch.map((n) => n.info.id));
      const gone = new Set([...members, ...heldOut()]);
      readers = await readersOf(op, run.nodes.filter((n) => !members.has(n.info.id) && run.ok(n)), refs(), members);
      if (!readers.length) return undefined;
      op.emit({ type: 'drain', nodes: batch.map((n) => n.info.name), readers: readers.map((r) => r.info.name) });
      const { failures: failed } = await configureReaders(op, readers, without(gone));
      return failed.length ? stop(`could not take ${names(batch)} out of ${names(readers)}`, failed) : undefined;
    },
    async after(batch) {
      const healthy = batch.filter((n) => run.ok(n) && phasePlan(n.group, HEALTH_PHASE));
      if (healthy.length) await run.runOne(HEALTH_PHASE, healthy);
      if (!readers.length) return undefined;
      const out = heldOut();
      const back = batch.filter((n) => !out.has(n.info.id));
      op.emit({ type: 'restore', nodes: back.map((n) => n.info.name), readers: readers.map((r) => r.info.name) });
      const { failures: failed } = await configureReaders(op, readers, without(out));
      return failed.length ? stop(`could not put ${names(back) || 'the batch'} back into ${names(readers)}`, failed) : undefined;
    },
  };
}

/**
 * converge's scale-down: before `leaving` is destroyed, configure its readers among `staying`
 * with the stack as it will be (without them).
 */
export async function drainForRemoval(op: Operation, staying: readonly StackNode[], leaving: readonly StackNode[]): Promise<ReadersRun> {
  const gone = new Set(leaving.map((n) => n.info.id));
  const all = [...staying, ...leaving].map((n) => n.ref);
  const readers = await readersOf(op, staying, all, gone);
  if (!readers.length) return { failures: [], results: new Map() };
  op.emit({ type: 'drain', nodes: leaving.map((n) => n.info.name), readers: readers.map((r) => r.info.name) });
  return configureReaders(op, readers, staying.map((n) => n.ref));
}

const names = (nodes: readonly StackNode[]) => nodes.map((n) => n.info.name).join(', ');

function stop(what: string, failed: readonly Failure[]): Failure {
  return { code: 'ROLLING', message: `${what}; stopped: ${failed.map((f) => f.message).join('; ')}` };
}
