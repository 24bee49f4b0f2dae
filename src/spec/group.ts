// Group specs: a named server spec with a node spec; nodes of a group are identical.
import { z } from 'zod';
import { SpecError } from '../errors.ts';
import { parseSpec } from '../validate.ts';
import { serverSpec, type ServerSpec, type ServerSpecInput } from './server.ts';
import type { NodeSpec } from './node.ts';

export const groupNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,19}$/, 'group names are 1-20 lowercase letters, digits or dashes, starting with a letter');

export interface GroupSpec extends ServerSpec {
  readonly name: string;
  readonly nodeSpec: NodeSpec;
}

export type GroupSpecInput = ServerSpecInput;

export function groupSpec(name: string, input: GroupSpecInput = {}): GroupSpec {
  const groupName = parseSpec(groupNameSchema, name, 'groupSpec');
  const merged = serverSpec(input, `group ${groupName}`);
  return { ...merged, name: groupName, nodeSpec: merged.nodeSpec ?? {} };
}

export function isGroupSpec(value: unknown): value is GroupSpec {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'server' && typeof (value as { name?: unknown }).name === 'string';
}

/** Find groups by name or fail with a message listing the stack's groups. */
export function pickGroups(groups: readonly GroupSpec[], names: readonly string[]): GroupSpec[] {
  return names.map((name) => {
    const group = groups.find((g) => g.name === name);
    if (!group) {
      const known = groups.map((g) => g.name);
      const near = closest(name, known);
      const next = near ? `; did you mean ${near}?` : `; add groupSpec('${name}', …) to the stack file's groups to make one`;
      throw new SpecError(`group ${name}`, `no such group; this stack has: ${known.join(', ') || '(none)'}${next}`, { group: name });
    }
    return group;
  });
}

/** The known name within two edits of `name` (a typo), if exactly one is nearest. */
function closest(name: string, known: readonly string[]): string | undefined {
  const scored = known.map((k) => [k, editDistance(name, k)] as const).filter(([, d]) => d <= Math.min(2, Math.floor(name.length / 2)));
  const best = Math.min(...scored.map(([, d]) => d));
  const nearest = scored.filter(([, d]) => d === best);
  return nearest.length === 1 ? nearest[0]![0] : undefined;
}

/** Levenshtein distance, with a swap of neighbours counting as one edit. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}
