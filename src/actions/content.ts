// A file's content as the script gets it: small text inline, anything else (large, with
// NUL bytes, not UTF-8) as a ByteSource the script asks for only when its check fails
// (shell/stream.ts). A local file is hashed in chunks when the action is constructed, never
// read whole, and the hash is kept while the file is unchanged (same size, times, inode),
// so a plan that names it for 10,000 nodes reads it once.
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { SpecError } from '../errors.ts';
import type { ByteSource } from '../shell/stream.ts';
import { fsReason } from './local-file.ts';

/** Content up to this size that is UTF-8 text without NUL goes inline in the script. */
export const INLINE_MAX = 64 * 1024;

const hashes = new Map<string, { key: string; sha256: string }>();
const statKey = (st: Stats) => `${st.size}:${st.mtimeMs}:${st.ctimeMs}:${st.ino}:${st.dev}`;

/** SHA-256 of a local file, read in chunks; cached while the file is unchanged. */
export function hashLocalFile(path: string, st: Stats): string {
  const key = statKey(st);
  const cached = hashes.get(path);
  if (cached?.key === key) return cached.sha256;
  const hash = createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) hash.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  const sha256 = hash.digest('hex');
  hashes.set(path, { key, sha256 });
  return sha256;
}

/** Whether bytes can go inline in a script: small UTF-8 text without NUL. */
export function inlineText(bytes: Buffer): string | undefined {
  if (bytes.length > INLINE_MAX || bytes.includes(0)) return undefined;
  const text = bytes.toString('utf8');
  return Buffer.byteLength(text) === bytes.length && Buffer.from(text, 'utf8').equals(bytes) ? text : undefined;
}

export function memorySource(bytes: Buffer): ByteSource {
  return { sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length, bytes };
}

export interface LocalFile {
  path: string;
  size: number;
  /** Permission bits. */
  mode: number;
  stats: Stats;
}

/** A regular local file, or one SpecError naming `where`, the field and the path. */
export function statLocalFile(path: string, where: string, field: string): LocalFile {
  let st: Stats;
  try {
    st = statSync(path);
  } catch (error) {
    throw new SpecError(where, `${field}: ${path}: ${fsReason(error)}`);
  }
  if (st.isDirectory()) throw new SpecError(where, `${field}: ${path}: is a directory`);
  if (!st.isFile()) throw new SpecError(where, `${field}: ${path}: not a regular file`);
  return { path, size: st.size, mode: st.mode & 0o7777, stats: st };
}

/** A local file as content: its text when it can go inline, else a source streamed from the file. */
export function localContent(file: LocalFile, where: string, field: string): { text: string } | { source: ByteSource } {
  try {
    if (file.size <= INLINE_MAX) {
      const fd = openSync(file.path, 'r');
      let bytes: Buffer;
      try {
        bytes = Buffer.alloc(file.size);
        const n = readSync(fd, bytes, 0, file.size, 0);
        bytes = bytes.subarray(0, n);
      } finally {
        closeSync(fd);
      }
      const text = inlineText(bytes);
      return text !== undefined ? { text } : { source: memorySource(bytes) };
    }
    return { source: { sha256: hashLocalFile(file.path, file.stats), size: file.size, path: file.path } };
  } catch (error) {
    throw new SpecError(where, `${field}: ${file.path}: ${fsReason(error)}`);
  }
}
