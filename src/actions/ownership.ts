// Steps shared by file and directory: owner, group and mode, each checked before it is set.
import { z } from 'zod';
import { sh } from '../shell/sh.ts';
import type { Step } from './types.ts';

/** A user or group name; never starts with `-`, so it cannot be read as an option. */
export const accountName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*\$?$/, 'not a user or group name');

export const ownershipSchema = {
  owner: accountName.optional(),
  group: accountName.optional(),
  /** Octal, as a string ("0644", "755") or a number written in octal (0o644). */
  mode: z.union([z.string().regex(/^0?[0-7]{3,4}$/, 'not an octal mode'), z.number().int().min(0).max(0o7777)]).optional(),
};

export interface Ownership {
  owner?: string;
  group?: string;
  mode?: string | number;
}

/** "0644" | 0o644 → "644", the form `stat -c %a` prints. */
export function normalMode(mode: string | number): string {
  const n = typeof mode === 'number' ? mode : parseInt(mode, 8);
  return n.toString(8);
}

export function ownershipSteps(path: string, o: Ownership): Step[] {
  const steps: Step[] = [];
  if (o.owner !== undefined) {
    steps.push({ check: sh`[ "$(stat -c %U ${path})" = ${o.owner} ]`, apply: sh`chown ${o.owner} ${path}` });
  }
  if (o.group !== undefined) {
    steps.push({ check: sh`[ "$(stat -c %G ${path})" = ${o.group} ]`, apply: sh`chgrp ${o.group} ${path}` });
  }
  if (o.mode !== undefined) {
    const mode = normalMode(o.mode);
    steps.push({ check: sh`[ "$(stat -c %a ${path})" = ${mode} ]`, apply: sh`chmod ${mode} ${path}` });
  }
  return steps;
}
