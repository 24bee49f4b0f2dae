// converge: bring each named group to its count, bootstrap new nodes once, then run
// the phases (default: configure) on every node of the stack, phase by phase.
import { randomBytes } from 'node:crypto';
import { ForkliftError, SpecError } from '../errors.ts';
import type { StackConfig } from '../config/define.ts';
import { TAG, type NodeInfo } from '../providers/types.ts';
import { pickGroups, type GroupSpec } from '../spec/group.ts';
import { mapLimit } from './limit.ts';
import { Operation, withOperation, type OperationOptions, type StackNode } from './operation.ts';
import { phasesToRun, runPhases } from './lift.ts';
import type { OperationResult, RemovedNode } from './results.ts';
import { withStrictRuncmd } from './userdata.ts';

export type Counts = Record<string, number>;

export interface ConvergeOptions extends OperationOptions {
  /** Phases to run after bootstrap (default: configure, when some group defines it). */
  phases?: string[];
}

export async function converge(stack: StackConfig, counts: Counts, options: ConvergeOptions = {}): Promise<OperationResult> {
  const groups = pickGroups(stack.groups, Object.keys(counts));
  for (const [name, count] of Object.entries(counts)) {
    if (!Number.isInteger(count) || count < 0) throw new SpecError(`group ${name}`, `count must be a whole number ≥ 0, got ${count}`);
  }
  const phases = phasesToRun(stack, options.phases);
  return withOperation(stack, options, async (op) => {
    for (const g of groups) {
      if ((counts[g.name] ?? 0) === 0) continue;
      try {
        await op.provider.validate?.(g.name, withStrictRuncmd(g.nodeSpec));
      } catch (error) {
        // Name the group whose node spec cannot be met.
        throw error instanceof ForkliftError && !error.message.includes(`group ${g.name}`) ? new SpecError(`group ${g.name}`, error.message) : error;
      }
    }
    const existing = await op.listNodes();
    const removed: RemovedNode[] = [];
    const errors: string[] = [];
    const toRemove: Array<{ node: NodeInfo; reason: string }> = [];
    const toCreate: Array<{ group: GroupSpec; name: string }> = [];
    const taken = new Set(existing.map((n) => n.name));
    for (const group of groups) {
      const mine = existing.filter((n) => n.group === group.name);
      // A node left half-made by an interrupted run is removed, never silently adopted.
      const broken = mine.filter((n) => n.state !== 'running');
      for (const node of broken) toRemove.push({ node, reason: `left ${node.state} by an earlier run` });
      const healthy = mine.filter((n) => n.state === 'running');
      const want = counts[group.name] ?? 0;
      const surplus = [...healthy].sort(removalOrder).slice(0, Math.max(0, healthy.length - want));
      for (const node of surplus) toRemove.push({ node, reason: `scaling ${group.name} to ${want}` });
      for (let i = healthy.length; i < want; i++) toCreate.push({ group, name: uniqueName(group.name, taken) });
    }
    op.throwIfCancelled();
    await mapLimit(toRemove, op.concurrency, async ({ node, reason }) => {
      op.emit({ type: 'node-removing', group: node.group, name: node.name, reason });
      op.pool.drop(node.id);
      await op.provider.destroyNode(node, op.signal);
      removed.push({ name: node.name, id: node.id, group: node.group, address: node.address, reason });
      op.emit({ type: 'node-removed', group: node.group, name: node.name });
    });
    const created = await createNodes(op, toCreate, errors);
    const gone = new Set(toRemove.map((r) => r.node.id));
    const infos = [...existing.filter((n) => !gone.has(n.id) && n.state === 'running'), ...created];
    const result = await runPhases(op, op.stackNodes(infos), { bootstrap: true, phases, created: new Set(created.map((n) => n.id)) });
    return { ...result, removed, errors: [...errors, ...result.errors], ok: result.ok && errors.length === 0 };
  }, 'converge');
}

/** Remove nodes that never finished bootstrap first, then the newest names. */
function removalOrder(a: NodeInfo, b: NodeInfo): number {
  const boot = Number(a.tags[TAG.bootstrapped] === 'true') - Number(b.tags[TAG.bootstrapped] === 'true');
  return boot || b.name.localeCompare(a.name);
}

function uniqueName(group: string, taken: Set<string>): string {
  for (;;) {
    const name = `${group}-${randomBytes(2).toString('hex')}`;
    if (!taken.has(name)) {
      taken.add(name);
      return name;
    }
  }
}

async function createNodes(op: Operation, wanted: Array<{ group: GroupSpec; name: string }>, errors: string[]): Promise<NodeInfo[]> {
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
      const message = `node ${name} (group ${group.name}) could not be created: ${error.message}`;
      errors.push(message);
      op.emit({ type: 'node-create-failed', group: group.name, name, error: error.message });
      return undefined;
    }
  });
  return made.filter((n): n is NodeInfo => n !== undefined);
}

export type { StackNode };
