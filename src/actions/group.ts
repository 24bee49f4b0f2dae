// group: a local group, with a given gid or a system one; or no such group.
import { z } from 'zod';
import { parseSpec, schemaOnce } from '../validate.ts';
import { sh } from '../shell/sh.ts';
import { accountName } from './ownership.ts';
import { action, defineAction, type Action, type Step } from './types.ts';

const nameInput = schemaOnce(() => z.object({ name: accountName.max(32, 'at most 32 characters') }));

export interface GroupArgs {
  name: string;
  gid?: number;
  system?: boolean;
  state: 'present' | 'absent';
}

const groupSchema = z
  .object({
    /** The group's number; an existing group with another one is changed (groupmod --gid). */
    gid: z.number().int().min(0).max(4294967294).optional(),
    /** A system group (a gid from the system range), at creation only. */
    system: z.boolean().optional(),
    state: z.enum(['present', 'absent']).optional(),
  })
  .strict()
  .superRefine((o, ctx) => {
    for (const key of ['gid', 'system'] as const) if (o.state === 'absent' && o[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: 'only with state present' });
  });

export type GroupOptions = z.input<typeof groupSchema>;

export const groupAction = defineAction<GroupArgs>({
  kind: 'group',
  render({ name, gid, system, state }) {
    const exists = sh`getent group ${name} >/dev/null`;
    if (state === 'absent') return [{ check: sh`! ${exists}`, apply: sh`groupdel ${name}` }];
    const options = [...(gid !== undefined ? ['--gid', String(gid)] : []), ...(system ? ['--system'] : [])];
    const steps: Step[] = [{ check: exists, apply: sh`groupadd ${[...options, name]}` }];
    if (gid !== undefined) steps.push({ check: sh`[ "$(getent group ${name} | cut -d: -f3)" = ${gid} ]`, apply: sh`groupmod --gid ${gid} ${name}` });
    return steps;
  },
});

/** A local group (present by default), or its removal (`state: 'absent'`). */
export function group(name: string, options: GroupOptions = {}): Action<GroupArgs> {
  const { name: n } = parseSpec(nameInput(), { name }, 'group');
  const o = parseSpec(groupSchema, options, `group ${n}`);
  const state = o.state ?? 'present';
  const args: GroupArgs = { name: n, state };
  if (o.gid !== undefined) args.gid = o.gid;
  if (o.system !== undefined) args.system = o.system;
  return action(groupAction, `group ${n}${state === 'absent' ? ' absent' : ''}`, args);
}
