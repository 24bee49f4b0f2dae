// symlink: `path` is a symbolic link to `target` (replacing any other link or file there;
// a real directory at `path` is an error, not a place to put the link in).
import { z } from 'zod';
import { parseSpec, schemaOnce } from '../validate.ts';
import { sh } from '../shell/sh.ts';
import { action, defineAction, type Action } from './types.ts';

const pathInput = schemaOnce(() => z.object({ path: z.string().regex(/^\//, 'must be an absolute path') }));
const targetInput = schemaOnce(() => z.object({ target: z.string().min(1) }));

export interface SymlinkArgs {
  path: string;
  target: string;
}

export const symlinkAction = defineAction<SymlinkArgs>({
  kind: 'symlink',
  render({ path, target }) {
    // $(...) drops trailing newlines, and a target may end in one: compare with a "." after it.
    return [{ check: sh`[ -L ${path} ] && [ "$(readlink ${path}; echo .)" = ${`${target}\n.`} ]`, apply: sh`ln -sfT -- ${target} ${path}` }];
  },
});

export function symlink(path: string, target: string): Action<SymlinkArgs> {
  const { path: p } = parseSpec(pathInput(), { path }, 'symlink');
  const { target: t } = parseSpec(targetInput(), { target }, `symlink ${p}`);
  return action(symlinkAction, `symlink ${p} -> ${t}`, { path: p, target: t });
}
