// file: byte-exact content, owner, group, mode; replaced atomically, optionally validated first.
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { z } from 'zod';
import { parseSpec } from '../validate.ts';
import { Cmd, Secret, quote, raw, sh, lines } from '../shell/sh.ts';
import { ownershipSchema, ownershipSteps, normalMode } from './ownership.ts';
import { action, defineAction, type Action } from './types.ts';

export interface FileArgs {
  path: string;
  content: string | Secret;
  owner?: string;
  group?: string;
  mode?: string | number;
  /** A command that must accept the new file before it replaces the old one; `%s` is the new file's path. */
  validate?: string;
}

const absolutePath = z.string().regex(/^\//, 'must be an absolute path');

const fileSchema = z
  .object({
    content: z.union([z.string(), z.instanceof(Secret)]),
    ...ownershipSchema,
    validate: z.string().includes('%s', { message: 'must contain %s for the new file' }).optional(),
  })
  .strict();

export type FileOptions = z.input<typeof fileSchema>;

export const fileAction = defineAction<FileArgs>({
  kind: 'file',
  render(args) {
    const { path } = args;
    const text = args.content instanceof Secret ? args.content.value : args.content;
    const digest = createHash('sha256').update(text, 'utf8').digest('hex');
    const shownDigest = args.content instanceof Secret ? '***' : digest;
    const tmp = `${path}.forklift-new`;
    const check = new Cmd(
      sh`[ "$(sha256sum <${path} 2>/dev/null)" = ${`${digest}  -`} ]`.text,
      sh`[ "$(sha256sum <${path} 2>/dev/null)" = ${`${shownDigest}  -`} ]`.shown,
    );
    const apply = lines(
      // Whatever step fails, no half-written file is left beside the real one.
      sh`trap ${`rm -f ${quote(tmp)}`} EXIT`,
      // The parent is computed here, not with $(dirname), which would drop a trailing newline of its name.
      sh`mkdir -p ${posix.dirname(path)}`,
      // The new file is readable by its owner alone until it has its mode (umask 077), and
      // is made afresh (noclobber): never a file or a link someone left under its name.
      sh`rm -f ${tmp}`,
      raw('umask 077; set -C'),
      // Through cat, whose error names the cause (No space left on device), where sh's printf says "I/O error".
      sh`printf '%s' ${args.content} | cat >${tmp}`,
      raw('set +C'),
      args.owner !== undefined ? sh`chown ${args.owner} ${tmp}` : undefined,
      args.group !== undefined ? sh`chgrp ${args.group} ${tmp}` : undefined,
      // Without a mode: the old file's, or for a new file 644 (what umask 022 gave).
      args.mode !== undefined ? sh`chmod ${normalMode(args.mode)} ${tmp}` : sh`if [ -e ${path} ]; then chmod "$(stat -c %a ${path})" ${tmp}; else chmod 644 ${tmp}; fi`,
      args.validate !== undefined ? validateCmd(args.validate, tmp) : undefined,
      sh`mv -f ${tmp} ${path}`,
    );
    return [{ check, apply }, ...ownershipSteps(path, args)];
  },
});

function validateCmd(template: string, tmp: string): Cmd {
  // The template is the user's own command text; only the new file's path is interpolated.
  const [before = '', ...after] = template.split('%s');
  const message = `validation failed: ${template}`;
  return sh`if ! ${raw(before)}${tmp}${raw(after.join('%s'))} >/dev/null; then rm -f ${tmp}; echo ${message} >&2; exit 3; fi`;
}

/** A file with exactly this content (any bytes but NUL), owner, group and mode. */
export function file(path: string, options: FileOptions): Action<FileArgs> {
  const { path: p } = parseSpec(z.object({ path: absolutePath }), { path }, 'file');
  const o = parseSpec(fileSchema, options, `file ${p}`);
  return action(fileAction, `file ${p}`, { path: p, ...o });
}
