// Files from the operator's repository (templates, apt keys), read when the action is
// constructed: a missing file is one SpecError before any node is touched.
// A source is a `file:` URL (`new URL('./nginx.conf.liquid', import.meta.url)`: relative
// to the file that says it, whatever the current folder) or an absolute path.
import { readFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { SpecError } from '../errors.ts';

export const localSource = z.union([z.instanceof(URL), z.string().min(1)], {
  error: (issue) => (issue.input === undefined ? 'required' : 'must be a URL or a path'),
});
export type LocalSource = z.infer<typeof localSource>;

/** The absolute path of a local source; `field` names it in errors. */
export function localPath(source: LocalSource, where: string, field: string): string {
  if (source instanceof URL) {
    if (source.protocol !== 'file:') throw new SpecError(where, `${field}: ${source.href} is not a file: URL`);
    return fileURLToPath(source);
  }
  if (source.startsWith('file:')) return fileURLToPath(source);
  if (!isAbsolute(source)) {
    throw new SpecError(where, `${field}: "${source}" is a relative path; use new URL(${JSON.stringify(source.startsWith('.') ? source : `./${source}`)}, import.meta.url) (relative to the file that names it) or an absolute path`);
  }
  return source;
}

/** The bytes of a local file; a missing or unreadable file is one line naming the action and the path. */
export function readLocal(path: string, where: string, field: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new SpecError(where, `${field}: ${path}: ${fsReason(error)}`);
  }
}

/** Why a file could not be read, in a few words. */
export function fsReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'ENOTDIR' ? 'not a directory' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
}
