// onOneNode: work a group does once, not on each of its nodes (Ansible's run_once): a
// database migration, a cache flush. It runs on one node of the group per operation: the
// first one the operation works on (by name), in the first batch of a rolling run; the
// other nodes plan nothing for it.
import { plan, type PlanContext, type PlanFn, type PlanItem } from './plan.ts';

export function onOneNode(...items: PlanItem[]): PlanFn {
  const work = plan(...items);
  return (ctx) => (isOneNode(ctx) ? work : undefined);
}

/** Whether the node planned is its group's one node; the engine says, else the group's first node. */
export function isOneNode(ctx: PlanContext): boolean {
  if (ctx.oneNode !== undefined) return ctx.oneNode;
  return ctx.nodesInGroup(ctx.node.group)[0]?.id === ctx.node.id;
}
