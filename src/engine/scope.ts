// Which nodes an operation works on: its groups, narrowed by `limit` (node names, as
// Ansible's --limit). The other nodes of the stack still count for nodesWithRole.
import { UsageError } from '../errors.ts';
import type { NodeInfo } from '../providers/types.ts';

export interface Scope {
  /** Only these groups (undefined: every group). */
  groups?: readonly string[] | undefined;
  /** Only these nodes, by name or id (undefined: every node of the groups). */
  limit?: readonly string[] | undefined;
}

/**
 * The predicate of the nodes in scope; a limit naming a node the stack does not have, or
 * one outside the groups, is a UsageError listing what there is (before any node is touched).
 */
export function inScope(stack: string, nodes: readonly NodeInfo[], { groups, limit }: Scope): (node: NodeInfo) => boolean {
  const inGroups = (n: NodeInfo) => !groups?.length || groups.includes(n.group);
  if (limit === undefined) return inGroups;
  if (!Array.isArray(limit) || !limit.every((l) => typeof l === 'string' && l.length > 0)) throw new UsageError('limit: a list of node names');
  if (limit.length === 0) throw new UsageError('limit: names no node; name at least one');
  const named = (n: NodeInfo) => limit.includes(n.name) || limit.includes(n.id);
  const unknown = limit.filter((l) => !nodes.some((n) => n.name === l || n.id === l));
  if (unknown.length) {
    throw new UsageError(`limit: no node ${unknown.join(', ')} in stack ${stack}; its nodes: ${nodes.map((n) => n.name).join(', ') || '(none)'}`);
  }
  const outside = nodes.filter((n) => named(n) && !inGroups(n));
  if (outside.length) {
    throw new UsageError(`limit: ${outside.map((n) => `node ${n.name} is in group ${n.group}`).join(', ')}, not in ${groups!.join(', ')}`);
  }
  return (n) => named(n) && inGroups(n);
}
