// converge: bring each named group to its count, bootstrap new nodes once, then run
// the phases (default: configure) on every node of the stack, phase by phase.
import { ForkliftError, SpecError, nodeFailure, type Failure } from '../errors.ts';
import type { StackConfig } from '../config/define.ts';
import { validateStack } from '../config/stack.ts';
import { TAG, type NodeInfo } from '../providers/types.ts';
import { pickGroups, type GroupSpec } from '../spec/group.ts';
import { mapLimit } from './limit.ts';
import { withOperation, type Operation, type OperationOptions, type StackNode } from './operation.ts';
import { phasesToRun, runPhases } from './lift.ts';
import { countChanged, type OperationResult, type RemovedNode } from './results.ts';
import { planScaling, UNTAGGED, type Counts, type Creation, type Removal, type Scaling } from './scaling.ts';
import { withStrictRuncmd } from './userdata.ts';
import { drainForRemoval, type ReadersRun } from './rolling.ts';
import { evaluateSettings } from './settings.ts';

export type { Counts };

/** The most nodes one group may be asked for in one converge. */
export const MAX_COUNT = 100_000;

export interface ConvergeOptions extends OperationOptions {
  /** Phases to run after bootstrap (default: configure, when some group defines it). */
  phases?: string[];
}

export async function converge(config: StackConfig, counts: Counts, options: ConvergeOptions = {}): Promise<OperationResult> {
  const stack = validateStack(config);
  const groups = pickGroups(stack.groups, Object.keys(counts));
  checkCounts(counts);
  const phases = phasesToRun(stack, options.phases);
  return withOperation(stack, options, async (op) => {
    await validateCounts(op, groups, counts);
    // What an interrupted create left untagged goes first (we hold the stack's lock: no create of ours is in flight).
    const untagged = await op.listUntagged();
    // Nodes of groups this stack does not define are not contacted (nodeState).
    const defined = new Set(stack.groups.map((g) => g.name));
    const scaling = planScaling([...(await op.listNodes((n) => defined.has(n.group))), ...untagged], groups, counts);
    op.throwIfCancelled();
    return applyScaling(op, { ...scaling, remove: [...untagged.map((node) => ({ node, reason: UNTAGGED })), ...scaling.remove] }, phases);
  }, 'converge');
}

/** Remove, create, then bootstrap the new nodes and run the phases on every node that stays. */
export async function applyScaling(op: Operation, scaling: Scaling, phases: string[]): Promise<OperationResult> {
  op.emit({ type: 'scaling', create: scaling.create.length, remove: scaling.remove.length });
  // Scaling down: the nodes that read those leaving (an lb) stop using them before they go.
  const drained = await drainLeaving(op, scaling.keep, scaling.remove.filter((r) => r.reason !== UNTAGGED).map((r) => r.node));
  const errors: Failure[] = [...drained.failures];
  const removed = await removeNodes(op, scaling.remove);
  const created = await createNodes(op, scaling.create, errors);
  const result = await runPhases(op, op.stackNodes([...scaling.keep, ...created]), { bootstrap: true, phases, created: new Set(created.map((n) => n.id)) });
  // What the readers' configure did before the removals is part of their result, first.
  const nodes = result.nodes.map((n) => {
    const before = drained.results.get(n.id);
    return before?.actions.length ? { ...n, actions: [...before.actions, ...n.actions] } : n;
  });
  return { ...result, nodes, changed: countChanged(nodes), removed, errors: [...errors, ...result.errors], ok: result.ok && errors.length === 0 };
}

/** Configure the readers of the running nodes about to be removed with the stack as it will be (rolling.ts). */
async function drainLeaving(op: Operation, keep: readonly NodeInfo[], removing: readonly NodeInfo[]): Promise<ReadersRun> {
  const leaving = op.stackNodes(removing.filter((n) => n.state === 'running'));
  if (!leaving.length) return { failures: [], results: new Map() };
  const staying = op.stackNodes(keep);
  await evaluateSettings(op, [...staying, ...leaving], true);
  return drainForRemoval(op, staying, leaving);
}

/** Counts are whole numbers from 0 to MAX_COUNT. */
export function checkCounts(counts: Counts): void {
  for (const [name, count] of Object.entries(counts)) {
    if (!Number.isInteger(count) || count < 0 || count > MAX_COUNT) {
      throw new SpecError(`group ${name}`, `count must be a whole number from 0 to ${MAX_COUNT}, got ${count}`, { group: name });
    }
  }
}

/** The provider can meet each counted group's node spec (before anything is created). */
export async function validateCounts(op: Operation, groups: readonly GroupSpec[], counts: Counts): Promise<void> {
  for (const g of groups) {
    if ((counts[g.name] ?? 0) === 0) continue;
    try {
      await op.provider.validate?.(withStrictRuncmd(g.nodeSpec), counts[g.name] ?? 0, g.name);
    } catch (error) {
      // Name the group whose node spec cannot be met.
      if (error instanceof ForkliftError && error.code !== 'CANCELLED') throw new SpecError(`group ${g.name}`, error.message, { ...error.details, group: g.name });
      throw error;
    }
  }
}

async function removeNodes(op: Operation, removals: readonly Removal[]): Promise<RemovedNode[]> {
  return mapLimit(removals, op.concurrency, async ({ node, reason }) => {
    op.emit({ type: 'node-removing', group: node.group, name: node.name, reason });
    op.sessions.drop(node.id);
    await op.provider.destroyNode(node, op.signal);
    op.emit({ type: 'node-removed', group: node.group, name: node.name });
    return { name: node.name, id: node.id, group: node.group, address: node.address, reason };
  });
}

async function createNodes(op: Operation, wanted: readonly Creation[], errors: Failure[]): Promise<NodeInfo[]> {
  const made = await mapLimit(wanted, op.concurrency, async ({ group, name }) => {
    op.throwIfCancelled();
    op.emit({ type: 'node-creating', group: group.name, name });
    const t0 = Date.now();
    try {
      const node = await op.provider.createNode(
        { stack: op.stack.stack, group: group.name, name, nodeSpec: withStrictRuncmd(group.nodeSpec), tags: { [TAG.stack]: op.stack.stack, [TAG.group]: group.name } },
        op.signal,
      );
      op.emit({ type: 'node-created', group: group.name, name, address: node.address, ms: Date.now() - t0 });
      return node;
    } catch (error) {
      if (!(error instanceof ForkliftError) || error.code === 'CANCELLED') throw error;
      const failure = { ...nodeFailure(name, error, { group: group.name }), message: `node ${name} (group ${group.name}) could not be created: ${error.message}` };
      errors.push(failure);
      op.emit({ type: 'node-create-failed', group: group.name, name, error: failure });
      return undefined;
    }
  });
  return made.filter((n): n is NodeInfo => n !== undefined);
}

export type { StackNode };
