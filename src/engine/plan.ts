// plan: what converge (with counts) or lift (without) would do to the whole stack, changing
// nothing: the nodes it would create and remove, and for every node that stays each action
// that would change (with diffs), planned with the stack as it will be. Nodes not yet made
// take part in nodesWithRole with their planned names and a placeholder address, which
// diffs show as `(known after create)`, as Terraform shows values it cannot know yet.
import type { StackConfig } from '../config/define.ts';
import { validateStack } from '../config/stack.ts';
import type { Failure } from '../errors.ts';
import { TAG, type NodeInfo } from '../providers/types.ts';
import { pickGroups } from '../spec/group.ts';
import { checkCounts, validateCounts, type Counts } from './converge.ts';
import { phasesToRun, runPhases } from './lift.ts';
import { withOperation, type Operation, type OperationOptions, type StackNode } from './operation.ts';
import { countChanged, type NodeResult } from './results.ts';
import { planScaling, UNTAGGED, type Scaling } from './scaling.ts';

/** The address of a node that is not made yet, as plans (and their diffs) show it. */
export const KNOWN_AFTER_CREATE = '(known after create)';

export interface PlanOptions extends OperationOptions {
  /** Phases in order (default: configure, when some group defines it). */
  phases?: string[];
}

export interface PlannedCreate {
  name: string;
  group: string;
}

export interface PlannedRemoval {
  name: string;
  id: string;
  group: string;
  address: string;
  reason: string;
}

export interface StackPlan {
  stack: string;
  /** Each group's count after the plan (counted groups as asked, the others as they are). */
  counts: Counts;
  phases: string[];
  create: PlannedCreate[];
  remove: PlannedRemoval[];
  /** Every node that stays, with its check results: would-change actions carry their diffs. */
  nodes: NodeResult[];
  /** Actions that would change, over all nodes that stay. */
  changed: number;
  /** Whether applying would do anything: creates, removes or changed actions. */
  changes: boolean;
  ok: boolean;
  errors: Failure[];
}

/** A plan made for `counts` (a converge) or, without counts, for the stack as it is (a lift). */
export async function planStack(config: StackConfig, counts: Counts | undefined, options: PlanOptions = {}): Promise<StackPlan> {
  const stack = validateStack(config);
  const groups = counts ? pickGroups(stack.groups, Object.keys(counts)) : [];
  if (counts) checkCounts(counts);
  const phases = phasesToRun(stack, options.phases);
  return withOperation(stack, options, async (op) => {
    if (counts) await validateCounts(op, groups, counts);
    const scaling = await scale(op, groups, counts ?? {});
    const { nodes } = await checkPlanned(op, scaling.keep, scaling.create.map((c) => ({ name: c.name, group: c.group.name })), phases);
    return summarize(op, scaling, nodes, phases);
  });
}

/** What converge would create and remove (untagged leftovers included) and the nodes that stay. */
export async function scale(op: Operation, groups: Parameters<typeof planScaling>[1], counts: Counts): Promise<Scaling> {
  const defined = new Set(op.stack.groups.map((g) => g.name));
  const untagged = await op.listUntagged();
  const scaling = planScaling([...(await op.listNodes((n) => defined.has(n.group))), ...untagged], groups, counts);
  return { ...scaling, remove: [...untagged.map((node) => ({ node, reason: UNTAGGED })), ...scaling.remove] };
}

/** A node that is not made yet, as the plan contexts see it. */
export function plannedNode(name: string, group: string, stack: string): NodeInfo {
  return {
    id: `planned:${name}`,
    name,
    group,
    address: KNOWN_AFTER_CREATE,
    state: 'running',
    tags: { [TAG.stack]: stack, [TAG.group]: group },
    os: { family: '', version: '' },
    ssh: { host: KNOWN_AFTER_CREATE, port: 22, user: 'root' },
  };
}

/**
 * The check of every node that stays, planned with the nodes to be created among the
 * stack's nodes (never contacted). Nodes of groups the stack does not define are left out.
 */
export async function checkPlanned(op: Operation, keep: readonly NodeInfo[], create: readonly PlannedCreate[], phases: string[]): Promise<{ nodes: NodeResult[]; stackNodes: StackNode[] }> {
  const planned = create.map((c) => plannedNode(c.name, c.group, op.stack.stack));
  const ids = new Set(planned.map((n) => n.id));
  const stackNodes = op.stackNodes([...keep, ...planned]);
  const result = await runPhases(op, stackNodes, { bootstrap: false, phases, only: (n) => !ids.has(n.info.id), mode: 'check' });
  return { nodes: result.nodes, stackNodes };
}

function summarize(op: Operation, scaling: Scaling, nodes: NodeResult[], phases: string[]): StackPlan {
  const counts: Counts = {};
  for (const n of [...scaling.keep, ...scaling.create.map((c) => ({ group: c.group.name }))]) if (n.group) counts[n.group] = (counts[n.group] ?? 0) + 1;
  for (const g of op.stack.groups) counts[g.name] ??= 0;
  const create = scaling.create.map((c) => ({ name: c.name, group: c.group.name }));
  const remove = scaling.remove.map(({ node, reason }) => ({ name: node.name, id: node.id, group: node.group, address: node.address, reason }));
  const changed = countChanged(nodes);
  return {
    stack: op.stack.stack,
    counts,
    phases,
    create,
    remove,
    nodes,
    changed,
    changes: create.length > 0 || remove.length > 0 || changed > 0,
    ok: nodes.every((n) => n.ok),
    errors: [],
  };
}
