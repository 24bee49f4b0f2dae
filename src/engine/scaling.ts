// What converge creates and removes to reach the counts: a pure function of the nodes
// that exist, the groups and the counts, so it is tested without any node.
import { randomBytes } from 'node:crypto';
import { TAG, type NodeInfo } from '../providers/types.ts';
import type { GroupSpec } from '../spec/group.ts';

export type Counts = Record<string, number>;

export interface Removal {
  node: NodeInfo;
  reason: string;
}

export interface Creation {
  group: GroupSpec;
  name: string;
}

export interface Scaling {
  remove: Removal[];
  create: Creation[];
  /** The nodes that stay, as they are (running nodes not removed). */
  keep: NodeInfo[];
}

/** Random hex suffixes for new names; longer when short ones run out. */
export type NameSource = (bytes: number) => string;
const randomHex: NameSource = (bytes) => randomBytes(bytes).toString('hex');

/** Why a node the provider found untagged (an interrupted create) is removed. */
export const UNTAGGED = 'left untagged by an interrupted create';

/**
 * `existing` may hold untagged nodes (no group): their names are taken, they are never kept.
 * For each counted group: nodes left half-made by an interrupted run (not running) are
 * removed, never adopted; surplus running nodes are removed, those that never finished
 * bootstrap first, then the newest names; missing nodes get fresh unique names.
 * Groups without a count are left as they are.
 */
export function planScaling(existing: readonly NodeInfo[], groups: readonly GroupSpec[], counts: Counts, names: NameSource = randomHex): Scaling {
  const remove: Removal[] = [];
  const create: Creation[] = [];
  const taken = new Set(existing.map((n) => n.name));
  for (const group of groups) {
    const mine = existing.filter((n) => n.group === group.name);
    for (const node of mine.filter((n) => n.state !== 'running')) remove.push({ node, reason: `left ${node.state} by an earlier run` });
    const healthy = mine.filter((n) => n.state === 'running');
    const want = counts[group.name] ?? healthy.length;
    const surplus = [...healthy].sort(removalOrder).slice(0, Math.max(0, healthy.length - want));
    for (const node of surplus) remove.push({ node, reason: `scaling ${group.name} to ${want}` });
    for (let i = healthy.length; i < want; i++) create.push({ group, name: uniqueName(group.name, taken, names) });
  }
  const gone = new Set(remove.map((r) => r.node.id));
  const keep = existing.filter((n) => !gone.has(n.id) && n.state === 'running');
  return { remove, create, keep };
}

/** Nodes that never finished bootstrap first, then the newest names. */
function removalOrder(a: NodeInfo, b: NodeInfo): number {
  const boot = Number(a.tags[TAG.bootstrapped] === 'true') - Number(b.tags[TAG.bootstrapped] === 'true');
  return boot || b.name.localeCompare(a.name);
}

/** `group-xxxx`: 2 random bytes, growing by one byte whenever a few tries collide. Always ends. */
export function uniqueName(group: string, taken: Set<string>, names: NameSource = randomHex): string {
  for (let bytes = 2; ; bytes++) {
    for (let attempt = 0; attempt < 8; attempt++) {
      const name = `${group}-${names(bytes)}`;
      if (!taken.has(name)) {
        taken.add(name);
        return name;
      }
    }
  }
}
