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
    if (!group) throw new SpecError(`group ${name}`, `no such group; this stack has: ${groups.map((g) => g.name).join(', ') || '(none)'}`);
    return group;
  });
}
