// Compiled stack files, kept between runs: esbuild (a child process, ~30 ms) runs only when
// the stack file, a file it imports or a package it resolves has changed since. An entry
// is found by the stack file's path (and this build of forklift); it is used only when
// every file it was compiled from, and every package file it resolved, has the same inode,
// size and change time as then (ctime: an edit, a copy or a checkout changes it, and no
// tool sets it back). The folder is this user's alone (0700, entries 0600): an entry holds
// what the stack file holds. Entries unused for 30 days are removed. FORKLIFT_CACHE=off
// compiles every time and keeps nothing.
import { createHash } from 'node:crypto';
import { fstatSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ensurePrivateDir } from '../private-dir.ts';

/** Bumped when what an entry holds, or how code is compiled, changes. */
const FORMAT = 1;

/** A file an entry depends on, as it was: path, inode, size, ctime (ms). */
export type Stamp = [path: string, ino: number, size: number, ctimeMs: number];

/** A file's stamp, from an open descriptor of it (the content read from it is the content stamped) or its path. */
export function stampOf(path: string, fd?: number): Stamp {
  const st = fd === undefined ? statSync(path) : fstatSync(fd);
  return [path, st.ino, st.size, st.ctimeMs];
}

interface Entry {
  format: number;
  stack: string;
  files: Stamp[];
  code: string;
}

/** The cache folder, or undefined when FORKLIFT_CACHE=off. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env['FORKLIFT_CACHE'] === 'off') return undefined;
  return join(env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'forklift', 'stacks');
}

/** The file an entry for this stack file lives in; `build` names this build of forklift (an entry of another is never used). */
function entryFile(dir: string, stack: string, build: string): string {
  return join(dir, `${createHash('sha256').update(JSON.stringify([FORMAT, build, stack])).digest('hex').slice(0, 40)}.json`);
}

/** The compiled code of `stack`, if an entry holds it and nothing it depends on has changed. */
export function readCompiled(dir: string, stack: string, build: string): string | undefined {
  const file = entryFile(dir, stack, build);
  let entry: Entry;
  try {
    entry = JSON.parse(readFileSync(file, 'utf8')) as Entry;
  } catch {
    return undefined;
  }
  if (entry.format !== FORMAT || entry.stack !== stack || typeof entry.code !== 'string' || !Array.isArray(entry.files)) return undefined;
  try {
    for (const [path, ino, size, ctimeMs] of entry.files) {
      const [, i, s, c] = stampOf(path);
      if (i !== ino || s !== size || c !== ctimeMs) return undefined;
    }
  } catch {
    return undefined;
  }
  used(file);
  return entry.code;
}

const DAY_MS = 86_400_000;
/** An entry not used for this long is removed when another is written. */
const KEPT_MS = 30 * DAY_MS;

/** Mark an entry used (its mtime, at most once a day: a run that compiles nothing writes nothing most days). */
function used(file: string): void {
  try {
    if (Date.now() - statSync(file).mtimeMs > DAY_MS) utimesSync(file, new Date(), new Date());
  } catch {
    // gone meanwhile: compiled again next time
  }
}

/** Remove entries unused for KEPT_MS (stack files moved or deleted leave theirs behind) and leftovers of killed writes. */
function prune(dir: string): void {
  const now = Date.now();
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    try {
      const age = now - statSync(path).mtimeMs;
      if (age > KEPT_MS || (name.endsWith('.tmp') && age > DAY_MS)) unlinkSync(path);
    } catch {
      // removed by another run
    }
  }
}

/**
 * Keep the code compiled from the files stamped as they were read. Best effort: a cache that
 * cannot be written only costs the next run a compile.
 */
export function writeCompiled(dir: string, stack: string, build: string, files: readonly Stamp[], code: string): void {
  let tmp: string | undefined;
  try {
    ensurePrivateDir(dir);
    const entry: Entry = { format: FORMAT, stack, files: [...files], code };
    const target = entryFile(dir, stack, build);
    tmp = `${target}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(entry), { mode: 0o600 });
    renameSync(tmp, target);
    prune(dir);
  } catch {
    if (tmp) {
      try {
        unlinkSync(tmp);
      } catch {
        // never written
      }
    }
  }
}
