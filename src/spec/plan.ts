// Plan functions: what a phase does on a node, as actions built at plan time.
// A plan is a list of items: actions, other plans, or functions of the node's context
// (which can read other nodes: `ctx.nodesWithRole('web')`).
import type { Action } from '../actions/types.ts';
import type { NodeFacts } from '../shell/facts.ts';

export type { NodeFacts };

/** A node's settings: plain data, secrets as `Secret` (shown as ***). See settings.ts. */
export type Settings = Readonly<Record<string, unknown>>;

/** Another node of the stack, as plan functions see it. */
export interface NodeRef {
  id: string;
  name: string;
  group: string;
  address: string;
  roles: readonly string[];
  /** The node's variables where its provider has them (hosts: inventory host and group vars). */
  vars?: Readonly<Record<string, unknown>>;
  /** Read on the node (OS, architecture, CPUs, memory...); undefined for a node forklift has not reached yet. */
  facts?: NodeFacts;
  /** Its group's settings merged with its own variables, evaluated before any phase. */
  settings?: Settings;
}

/** A node of the stack in a plan context: its settings are always there. */
export interface NodeView extends NodeRef {
  readonly settings: Settings;
}

/** The node being planned: its facts were read on it. */
export interface PlannedNode extends NodeView {
  readonly facts: NodeFacts;
}

export interface PlanContext {
  stack: string;
  phase: string;
  /** The node being planned. */
  node: PlannedNode;
  /** The node's settings (`node.settings`). */
  settings: Settings;
  /** Every node of the stack, as it will be after this operation. */
  nodes: readonly NodeView[];
  nodesWithRole(role: string): NodeView[];
  nodesInGroup(group: string): NodeView[];
  /** Whether this node runs its group's `onOneNode` work in this operation (set by the engine; see spec/once.ts). */
  oneNode?: boolean;
}

/** A lazy selection of nodes, resolved per node at plan time: `nodesWithRole('web')`. */
export interface NodeQuery {
  readonly role: string;
}

export type Nodes = readonly NodeRef[] | NodeQuery;

export type PlanItem = Action | Plan | PlanFn | readonly PlanItem[] | undefined | null | false;
export type PlanFn = (ctx: PlanContext) => PlanItem | Promise<PlanItem>;

export interface Plan {
  readonly kind: 'plan';
  readonly items: readonly PlanItem[];
}

/** Pallet's plan-fn: a sequence of actions, plans and functions of the plan context. */
export function plan(...items: PlanItem[]): Plan {
  return { kind: 'plan', items };
}

export function isPlan(value: unknown): value is Plan {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'plan';
}

/** The nodes with this role, resolved when each node is planned. */
export function nodesWithRole(role: string): NodeQuery {
  return { role };
}

export function resolveNodes(ctx: PlanContext, nodes: Nodes): NodeRef[] {
  return 'role' in nodes ? ctx.nodesWithRole((nodes as NodeQuery).role) : [...(nodes as readonly NodeRef[])];
}

/** Flatten a plan into actions for one node, in order. */
export async function planActions(item: PlanItem, ctx: PlanContext): Promise<Action[]> {
  if (item === undefined || item === null || item === false) return [];
  if (typeof item === 'function') return planActions(await item(ctx), ctx);
  if (Array.isArray(item)) {
    const out: Action[] = [];
    for (const sub of item as readonly PlanItem[]) out.push(...(await planActions(sub, ctx)));
    return out;
  }
  if (isPlan(item)) return planActions(item.items, ctx);
  return [item as Action];
}
