// sudoers: a drop-in /etc/sudoers.d/<name>, root's, mode 0440, checked by `visudo -cf`
// before it replaces the old one (a broken sudoers file locks every sudo user out).
import { z } from 'zod';
import { parseSpec, schemaOnce } from '../validate.ts';
import { Secret } from '../shell/sh.ts';
import { absentAction } from './absent.ts';
import { fileAction, type FileArgs } from './file.ts';
import { action, defineAction, type Action, type Target } from './types.ts';

const nameInput = schemaOnce(() => z.object({ name: dropInName }));

export interface SudoersArgs {
  name: string;
  content?: string | Secret;
  state: 'present' | 'absent';
}

const sudoersSchema = z
  .object({
    /** sudoers rules, as written (`deploy ALL=(root) NOPASSWD: /usr/bin/systemctl restart app\n`). */
    content: z.union([z.string(), z.instanceof(Secret)]).optional(),
    state: z.enum(['present', 'absent']).optional(),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.state !== 'absent' && o.content === undefined) ctx.addIssue({ code: 'custom', path: ['content'], message: 'required' });
    if (o.state === 'absent' && o.content !== undefined) ctx.addIssue({ code: 'custom', path: ['content'], message: 'only with state present' });
  });

export type SudoersOptions = z.input<typeof sudoersSchema>;

// sudo skips files in sudoers.d whose names contain a dot or end in ~: such a name would never apply.
const dropInName = z.string().regex(/^[A-Za-z0-9_-]{1,100}$/, 'must be letters, digits, - and _ (sudo skips names with a dot or ending in ~)');

export const sudoersAction = defineAction<SudoersArgs>({
  kind: 'sudoers',
  render({ name, content, state }, target: Target) {
    const path = `/etc/sudoers.d/${name}`;
    if (state === 'absent') return absentAction.render({ path }, target);
    const file: FileArgs = { path, content: content ?? '', owner: 'root', group: 'root', mode: '0440', validate: 'visudo -cf %s' };
    return fileAction.render(file, target);
  },
});

/** A sudoers drop-in, validated by visudo before it is installed (needs the sudo package). */
export function sudoers(name: string, options: SudoersOptions): Action<SudoersArgs> {
  const { name: n } = parseSpec(nameInput(), { name }, 'sudoers');
  const o = parseSpec(sudoersSchema, options, `sudoers ${n}`);
  const state = o.state ?? 'present';
  const args: SudoersArgs = state === 'absent' ? { name: n, state } : { name: n, state, content: o.content! };
  return action(sudoersAction, `sudoers ${n}${state === 'absent' ? ' absent' : ''}`, args);
}
