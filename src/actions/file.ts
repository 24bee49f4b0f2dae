// file: byte-exact content, owner, group, mode; replaced atomically, optionally validated first.
// Content is a string, bytes, or a local file (`source`). Small text goes inline in the
// script; anything else is streamed over the same run, and only when the check fails.
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { z } from 'zod';
import { parseSpec, schemaOnce } from '../validate.ts';
import { Cmd, Secret, quote, raw, sh, lines } from '../shell/sh.ts';
import type { ByteSource } from '../shell/stream.ts';
import { showFile } from '../shell/preview.ts';
import { INLINE_MAX, inlineText, localContent, memorySource, statLocalFile } from './content.ts';
import { localPath, localSource, type LocalSource } from './local-file.ts';
import { ownershipSchema, ownershipSteps, normalMode } from './ownership.ts';
import { action, defineAction, type Action } from './types.ts';

const pathInput = schemaOnce(() => z.object({ path: absolutePath }));

export interface FileArgs {
  path: string;
  /** Content that goes inline in the script. */
  content?: string | Secret;
  /** Content the script asks for when its check fails (never in the script). */
  source?: ByteSource;
  /** Show the streamed content's hash as *** (secret bytes). */
  secret?: boolean;
  owner?: string;
  group?: string;
  mode?: string | number;
  /** A command that must accept the new file before it replaces the old one; `%s` is the new file's path. */
  validate?: string;
}

const absolutePath = z.string().regex(/^\//, 'must be an absolute path');

const fileSchema = z
  .object({
    content: z.union([z.string(), z.instanceof(Secret), z.instanceof(Uint8Array)], { error: 'must be a string, secret() or bytes' }).optional(),
    source: localSource.optional(),
    ...ownershipSchema,
    validate: z.string().includes('%s', { message: 'must contain %s for the new file' }).optional(),
  })
  .strict()
  .refine((o) => (o.content === undefined) !== (o.source === undefined), { message: 'give either content (text or bytes) or source (a local file)', path: ['content'] });

export type FileOptions = {
  /** The file's bytes: text, `secret(text)`, or bytes (a Buffer). */
  content?: string | Secret | Uint8Array;
  /** A local file: a `file:` URL (`new URL('./files/app.bin', import.meta.url)`) or an absolute path. */
  source?: LocalSource;
} & Omit<z.input<typeof fileSchema>, 'content' | 'source'>;

export const fileAction = defineAction<FileArgs>({
  kind: 'file',
  render(args) {
    const { path } = args;
    const secretContent = args.content instanceof Secret || args.secret === true;
    const digest = args.source ? args.source.sha256 : createHash('sha256').update(args.content instanceof Secret ? args.content.value : (args.content ?? ''), 'utf8').digest('hex');
    const shownDigest = secretContent ? '***' : digest;
    const hashed = (template: (d: string) => Cmd) => new Cmd(template(digest).text, template(shownDigest).shown);
    const tmp = `${path}.forklift-new`;
    const check = hashed((d) => sh`[ "$(sha256sum <${path} 2>/dev/null)" = ${`${d}  -`} ]`);
    const write = args.source
      ? lines(
          // Exactly the bytes asked for, straight into the private temp file; then checked, so a
          // local file that changed while it was sent (or a cut) never replaces the old one.
          hashed((d) => sh`fl_need ${d} ${args.source!.size} >${tmp}`),
          hashed((d) => sh`if [ "$(sha256sum <${tmp})" != ${`${d}  -`} ]; then echo ${`the content that arrived for ${path} differs from the local file (it changed while it was sent, or the transfer was cut)`} >&2; exit 4; fi`),
        )
      : // Through cat, whose error names the cause (No space left on device), where sh's printf says "I/O error".
        sh`printf '%s' ${args.content ?? ''} | cat >${tmp}`;
    const apply = lines(
      // Whatever step fails, no half-written file is left beside the real one.
      sh`trap ${`rm -f ${quote(tmp)}`} EXIT`,
      // The parent is computed here, not with $(dirname), which would drop a trailing newline of its name.
      sh`mkdir -p ${posix.dirname(path)}`,
      // The new file is readable by its owner alone until it has its mode (umask 077), and
      // is made afresh (noclobber): never a file or a link someone left under its name.
      sh`rm -f ${tmp}`,
      raw('umask 077; set -C'),
      write,
      raw('set +C'),
      args.owner !== undefined ? sh`chown ${args.owner} ${tmp}` : undefined,
      args.group !== undefined ? sh`chgrp ${args.group} ${tmp}` : undefined,
      // Without a mode: the old file's, or for a new file 644 (what umask 022 gave).
      args.mode !== undefined ? sh`chmod ${normalMode(args.mode)} ${tmp}` : sh`if [ -e ${path} ]; then chmod "$(stat -c %a ${path})" ${tmp}; else chmod 644 ${tmp}; fi`,
      args.validate !== undefined ? validateCmd(args.validate, tmp, args.source !== undefined) : undefined,
      sh`mv -f ${tmp} ${path}`,
    );
    const after = args.source ? { source: args.source } : { text: args.content instanceof Secret ? args.content.value : (args.content ?? '') };
    const preview = { path, show: showFile(path), after, ...(secretContent ? { secret: true } : {}) };
    return [{ check, apply, preview, ...(args.source ? { sources: [args.source] } : {}) }, ...ownershipSteps(path, args)];
  },
});

function validateCmd(template: string, tmp: string, streamed: boolean): Cmd {
  // The template is the user's own command text; only the new file's path is interpolated.
  // It runs without the script's stdin and stdout (fds 4 and 3), which a streamed file's apply holds.
  const [before = '', ...after] = template.split('%s');
  const message = `validation failed: ${template}`;
  return sh`if ! ${raw(before)}${tmp}${raw(after.join('%s'))} >/dev/null${raw(streamed ? ' 3>&- 4<&-' : '')}; then rm -f ${tmp}; echo ${message} >&2; exit 3; fi`;
}

/**
 * A file with exactly this content, owner, group and mode: `content` (a string, `secret()`
 * or bytes) or `source` (a local file). Any bytes: small text goes inline in the script,
 * anything else is sent over the same run when the check fails.
 */
export function file(path: string, options: FileOptions): Action<FileArgs> {
  const { path: p } = parseSpec(pathInput(), { path }, 'file');
  const where = `file ${p}`;
  const { content, source, ...o } = parseSpec(fileSchema, options, where);
  return action(fileAction, where, { path: p, ...contentArgs(content, source, where), ...o });
}

function contentArgs(content: string | Secret | Uint8Array | undefined, source: LocalSource | undefined, where: string): Pick<FileArgs, 'content' | 'source' | 'secret'> {
  if (source !== undefined) {
    const local = statLocalFile(localPath(source, where, 'source'), where, 'source');
    const c = localContent(local, where, 'source');
    return 'text' in c ? { content: c.text } : { source: c.source };
  }
  if (content instanceof Uint8Array) {
    const bytes = Buffer.from(content.buffer, content.byteOffset, content.byteLength);
    const text = inlineText(bytes);
    return text !== undefined ? { content: text } : { source: memorySource(Buffer.from(bytes)) };
  }
  const text = content instanceof Secret ? content.value : (content ?? '');
  // Text the shell cannot hold (NUL) or that would swell the script is streamed as well.
  if (text.includes('\0') || Buffer.byteLength(text) > INLINE_MAX) return { source: memorySource(Buffer.from(text, 'utf8')), ...(content instanceof Secret ? { secret: true } : {}) };
  return { content: content ?? '' };
}
