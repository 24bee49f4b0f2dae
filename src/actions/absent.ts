// absent: no file, link or directory at `path`.
import { z } from 'zod';
import { parseSpec, schemaOnce } from '../validate.ts';
import { sh } from '../shell/sh.ts';
import { showFile } from '../shell/preview.ts';
import { action, defineAction, type Action } from './types.ts';

const pathInput = schemaOnce(() => z.object({ path: z.string().regex(/^\/./, 'must be an absolute path other than /') }));

export interface AbsentArgs {
  path: string;
}

export const absentAction = defineAction<AbsentArgs>({
  kind: 'absent',
  render({ path }) {
    const preview = { path, show: showFile(path), after: { absent: true as const } };
    return [{ check: sh`[ ! -e ${path} ] && [ ! -L ${path} ]`, apply: sh`rm -rf ${path}`, preview }];
  },
});

export function absent(path: string): Action<AbsentArgs> {
  const { path: p } = parseSpec(pathInput(), { path }, 'absent');
  return action(absentAction, `absent ${p}`, { path: p });
}
