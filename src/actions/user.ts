// user: a local account with home, shell and supplementary groups.
import { z } from 'zod';
import { parseSpec } from '../validate.ts';
import { sh } from '../shell/sh.ts';
import { accountName } from './ownership.ts';
import { action, defineAction, type Action, type Step } from './types.ts';

const userSchema = z
  .object({
    home: z.string().regex(/^\//, 'must be an absolute path').optional(),
    shell: z.string().regex(/^\//, 'must be an absolute path').optional(),
    system: z.boolean().optional(),
    groups: z.array(accountName).optional(),
  })
  .strict();

export type UserOptions = z.input<typeof userSchema>;
export interface UserArgs extends UserOptions {
  name: string;
}

export const userAction = defineAction<UserArgs>({
  kind: 'user',
  render({ name, home, shell, system, groups }) {
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

const userName = z.string().regex(/^[a-z_][a-z0-9_-]*\$?$/, 'not a valid user name');

export function user(name: string, options: UserOptions = {}): Action<UserArgs> {
  const { name: n } = parseSpec(z.object({ name: userName }), { name }, 'user');
  return action(userAction, `user ${n}`, { name: n, ...parseSpec(userSchema, options, `user ${n}`) });
}
