// user: a local account with home, shell and supplementary groups; or no such account.
import { z } from 'zod';
import { parseSpec, schemaOnce } from '../validate.ts';
import { sh } from '../shell/sh.ts';
import { accountName } from './ownership.ts';
import { action, defineAction, type Action, type Step } from './types.ts';

const nameInput = schemaOnce(() => z.object({ name: userName }));

const PRESENT_ONLY = ['home', 'shell', 'system', 'groups'] as const;

const userSchema = z
  .object({
    home: z.string().regex(/^\//, 'must be an absolute path').optional(),
    shell: z.string().regex(/^\//, 'must be an absolute path').optional(),
    system: z.boolean().optional(),
    groups: z.array(accountName).optional(),
    /** absent: the account is removed (its processes must have ended). */
    state: z.enum(['present', 'absent']).optional(),
    /** With state absent: remove its home directory and mail spool too (userdel --remove). */
    removeHome: z.boolean().optional(),
  })
  .strict()
  .superRefine((o, ctx) => {
    const absent = o.state === 'absent';
    for (const key of PRESENT_ONLY) if (absent && o[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: 'only with state present' });
    if (!absent && o.removeHome !== undefined) ctx.addIssue({ code: 'custom', path: ['removeHome'], message: 'only with state absent' });
  });

export type UserOptions = z.input<typeof userSchema>;
export interface UserArgs extends Omit<UserOptions, 'state'> {
  name: string;
  state?: 'absent';
}

export const userAction = defineAction<UserArgs>({
  kind: 'user',
  render({ name, home, shell, system, groups, state, removeHome }) {
    if (state === 'absent') return [{ check: sh`! id -u ${name} >/dev/null 2>&1`, apply: sh`userdel ${removeHome ? ['--remove', name] : [name]}` }];
    // A group of the same name may exist already (useradd refuses that by default): join it.
    const create = sh`useradd $(getent group ${name} >/dev/null && echo --gid ${name}) ${[
      ...(system ? ['--system'] : []),
      ...(home !== undefined ? ['--home-dir', home] : []),
      ...(shell !== undefined ? ['--shell', shell] : []),
      '--create-home',
      name,
    ]}`;
    const steps: Step[] = [{ check: sh`id -u ${name} >/dev/null 2>&1`, apply: create }];
    if (shell !== undefined) {
      steps.push({ check: sh`[ "$(getent passwd ${name} | cut -d: -f7)" = ${shell} ]`, apply: sh`usermod --shell ${shell} ${name}` });
    }
    if (home !== undefined) {
      steps.push({ check: sh`[ "$(getent passwd ${name} | cut -d: -f6)" = ${home} ]`, apply: sh`usermod --home ${home} --move-home ${name}` });
    }
    for (const group of groups ?? []) {
      steps.push({ check: sh`id -nG ${name} | tr ' ' '\\n' | grep -qx ${group}`, apply: sh`usermod --append --groups ${group} ${name}` });
    }
    return steps;
  },
});

export const userName = z.string().regex(/^[a-z_][a-z0-9_-]*\$?$/, 'not a valid user name');

export function user(name: string, options: UserOptions = {}): Action<UserArgs> {
  const { name: n } = parseSpec(nameInput(), { name }, 'user');
  const { state, ...o } = parseSpec(userSchema, options, `user ${n}`);
  if (state === 'absent') return action(userAction, `user ${n} absent`, { name: n, state, ...o });
  return action(userAction, `user ${n}`, { name: n, ...o });
}
