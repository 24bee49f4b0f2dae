// directory: exists, with owner, group and mode.
import { z } from 'zod';
import { parseSpec } from '../validate.ts';
import { sh } from '../shell/sh.ts';
import { ownershipSchema, ownershipSteps, type Ownership } from './ownership.ts';
import { action, defineAction, type Action } from './types.ts';

export interface DirectoryArgs extends Ownership {
  path: string;
}

const directorySchema = z.object(ownershipSchema).strict();

export const directoryAction = defineAction<DirectoryArgs>({
  kind: 'directory',
  render(args) {
    return [{ check: sh`[ -d ${args.path} ]`, apply: sh`mkdir -p ${args.path}` }, ...ownershipSteps(args.path, args)];
  },
});

export function directory(path: string, options: z.input<typeof directorySchema> = {}): Action<DirectoryArgs> {
  const { path: p } = parseSpec(z.object({ path: z.string().regex(/^\//, 'must be an absolute path') }), { path }, 'directory');
  const o = parseSpec(directorySchema, options, `directory ${p}`);
  return action(directoryAction, `directory ${p}`, { path: p, ...o });
}
