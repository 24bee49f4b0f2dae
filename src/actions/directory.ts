// directory: exists, with owner, group and mode; optionally a mirror of a local folder (mirror.ts).
import { z } from 'zod';
import { parseSpec, schemaOnce } from '../validate.ts';
import { sh } from '../shell/sh.ts';
import { localPath, localSource, type LocalSource } from './local-file.ts';
import { mirrorStep, walkFolder, type Mirror } from './mirror.ts';
import { normalMode, ownershipSchema, ownershipSteps, type Ownership } from './ownership.ts';
import { action, defineAction, type Action } from './types.ts';

const pathInput = schemaOnce(() => z.object({ path: z.string().regex(/^\//, 'must be an absolute path') }));

export interface DirectoryArgs extends Ownership {
  path: string;
  /** The local folder it mirrors, walked when the action was constructed. */
  mirror?: Mirror;
}

const directorySchema = z
  .object({
    ...ownershipSchema,
    source: localSource.optional(),
    delete: z.boolean().optional(),
    fileMode: ownershipSchema.mode,
  })
  .strict()
  .refine((o) => o.source !== undefined || (o.delete === undefined && o.fileMode === undefined), { message: 'delete and fileMode need a source folder', path: ['source'] });

export type DirectoryOptions = {
  /** A local folder to mirror: a `file:` URL (`new URL('./site/', import.meta.url)`) or an absolute path. */
  source?: LocalSource;
} & Omit<z.input<typeof directorySchema>, 'source'>;

export const directoryAction = defineAction<DirectoryArgs>({
  kind: 'directory',
  render(args) {
    const own = { ...(args.owner !== undefined ? { owner: args.owner } : {}), ...(args.group !== undefined ? { group: args.group } : {}), ...(args.mode !== undefined ? { mode: args.mode } : {}) };
    const steps = [{ check: sh`[ -d ${args.path} ]`, apply: sh`mkdir -p ${args.path}` }, ...ownershipSteps(args.path, own)];
    return args.mirror ? [...steps, mirrorStep(args.path, args.mirror)] : steps;
  },
});

/**
 * A directory (with parents), its owner, group and mode. With `source`, a mirror of that
 * local folder: its files, folders and symbolic links (`delete: true` also removes what
 * the node has beyond them); `owner`/`group` apply to everything, `mode` to the folders,
 * `fileMode` to the files.
 */
export function directory(path: string, options: DirectoryOptions = {}): Action<DirectoryArgs> {
  const { path: p } = parseSpec(pathInput(), { path }, 'directory');
  const where = `directory ${p}`;
  const { source, delete: del, fileMode, ...o } = parseSpec(directorySchema, options, where);
  if (source === undefined) return action(directoryAction, where, { path: p, ...o });
  const from = localPath(source, where, 'source');
  const modes = { ...(o.mode !== undefined ? { dirMode: normalMode(o.mode) } : {}), ...(fileMode !== undefined ? { fileMode: normalMode(fileMode) } : {}) };
  const entries = walkFolder(from, where, modes);
  const mirror: Mirror = { from, entries, delete: del ?? false, ...(o.owner !== undefined ? { owner: o.owner } : {}), ...(o.group !== undefined ? { group: o.group } : {}) };
  return action(directoryAction, where, { path: p, ...o, mirror });
}
