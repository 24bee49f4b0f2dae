// directory's mirror: a local folder copied onto the node (files, folders, symbolic links),
// optionally deleting what the node has beyond it. The folder is walked when the action is
// constructed (each file hashed in chunks, never read whole). On the node one read-only
// check compares everything at once (sha256sum -c over the files, one stat listing of
// types, modes and owners, link targets, and with `delete` the full listing), so a no-op
// mirror sends no file and runs a handful of processes. When it fails, the apply streams
// only the files whose content differs (shell/stream.ts), each into a private temp file
// beside it, checked, then renamed.
import { lstatSync, readdirSync, readlinkSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { SpecError } from '../errors.ts';
import { lines, raw, sh, type Cmd } from '../shell/sh.ts';
import type { ByteSource } from '../shell/stream.ts';
import { hashLocalFile } from './content.ts';
import { fsReason } from './local-file.ts';
import type { Step } from './types.ts';

export type MirrorEntry =
  | { kind: 'dir'; rel: string; mode: string }
  | { kind: 'file'; rel: string; mode: string; source: ByteSource }
  | { kind: 'link'; rel: string; target: string };

export interface Mirror {
  /** The local folder, for messages. */
  from: string;
  /** Parents before children; `rel` starts with "./". */
  entries: readonly MirrorEntry[];
  delete: boolean;
  owner?: string;
  group?: string;
}

/** Walk a local folder: `dirMode`/`fileMode` override the defaults (0755; files 0755 when executable, else 0644). */
export function walkFolder(root: string, where: string, modes: { dirMode?: string; fileMode?: string }): MirrorEntry[] {
  let st: Stats;
  try {
    st = statSync(root);
  } catch (error) {
    throw new SpecError(where, `source: ${root}: ${fsReason(error).replace('no such file', 'no such folder')}`);
  }
  if (!st.isDirectory()) throw new SpecError(where, `source: ${root}: not a folder (a single file is file(path, { source }))`);
  const entries: MirrorEntry[] = [];
  const walk = (dir: string, rel: string) => {
    let names: string[];
    try {
      names = readdirSync(dir).sort(byteOrder);
    } catch (error) {
      throw new SpecError(where, `source: ${dir}: ${fsReason(error)}`);
    }
    for (const name of names) {
      const path = join(dir, name);
      const r = `${rel}/${name}`;
      if (name.includes('\n')) throw new SpecError(where, `source: ${path}: a name with a newline cannot be mirrored`);
      const s = lstatSync(path);
      if (s.isDirectory()) {
        entries.push({ kind: 'dir', rel: r, mode: modes.dirMode ?? '755' });
        walk(path, r);
      } else if (s.isFile()) {
        const mode = modes.fileMode ?? (s.mode & 0o100 ? '755' : '644');
        entries.push({ kind: 'file', rel: r, mode, source: { sha256: readHash(path, s, where), size: s.size, path } });
      } else if (s.isSymbolicLink()) {
        const target = readlinkSync(path);
        if (target.includes('\n')) throw new SpecError(where, `source: ${path}: a link target with a newline cannot be mirrored`);
        entries.push({ kind: 'link', rel: r, target });
      } else {
        throw new SpecError(where, `source: ${path}: not a file, folder or symbolic link`);
      }
    }
  };
  walk(root, '.');
  return entries;
}

function readHash(path: string, st: Stats, where: string): string {
  try {
    return hashLocalFile(path, st);
  } catch (error) {
    throw new SpecError(where, `source: ${path}: ${fsReason(error)}`);
  }
}

const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** `ls -l`'s form of a type and mode, as `stat -c %A` prints it. */
function symbolic(kind: MirrorEntry['kind'], mode: string): string {
  if (kind === 'link') return 'lrwxrwxrwx';
  const m = parseInt(mode, 8);
  const bit = (mask: number, ch: string) => (m & mask ? ch : '-');
  const special = (x: string, exec: number, flag: number, on: string) => (m & flag ? (m & exec ? on : on.toUpperCase()) : x);
  return (
    (kind === 'dir' ? 'd' : '-') +
    bit(0o400, 'r') + bit(0o200, 'w') + special(bit(0o100, 'x'), 0o100, 0o4000, 's') +
    bit(0o040, 'r') + bit(0o020, 'w') + special(bit(0o010, 'x'), 0o010, 0o2000, 's') +
    bit(0o004, 'r') + bit(0o002, 'w') + special(bit(0o001, 'x'), 0o001, 0o1000, 't')
  );
}

/** The steps of a mirror into `path` (which exists by then). */
export function mirrorStep(path: string, m: Mirror): Step {
  const files = m.entries.filter((e) => e.kind === 'file');
  const links = m.entries.filter((e) => e.kind === 'link');
  const fmt = ['%A', m.owner !== undefined ? '%U' : '', m.group !== undefined ? '%G' : ''].filter(Boolean).join(' ');
  const statLine = (e: MirrorEntry) => [symbolic(e.kind, e.kind === 'link' ? '777' : e.mode), m.owner, m.group].filter((x) => x !== undefined).join(' ');
  const listing = m.entries.map((e) => e.rel.slice(2)).sort(byteOrder);
  const check = lines(
    sh`cd ${path}`,
    files.length ? sh`printf '%s\\n' ${files.map((f) => `${f.source.sha256}  ${f.rel}`)} | sha256sum -c --status --strict -` : undefined,
    m.entries.length ? sh`[ "$(printf '%s\\0' ${m.entries.map((e) => e.rel)} | xargs -0 stat -c ${fmt})" = ${m.entries.map(statLine).join('\n')} ]` : undefined,
    links.length ? sh`[ "$(printf '%s\\0' ${links.map((l) => l.rel)} | xargs -0 readlink --)" = ${links.map((l) => l.target).join('\n')} ]` : undefined,
    m.delete ? sh`[ "$(find . -mindepth 1 -printf '%P\\n' | sort)" = ${listing.join('\n')} ]` : undefined,
  );
  const own = (file: string): Cmd | undefined => {
    if (m.owner !== undefined) return raw(`chown -h ${m.group !== undefined ? `"$fl_o:$fl_g"` : '"$fl_o"'} -- ${file}`);
    return m.group !== undefined ? raw(`chgrp -h "$fl_g" -- ${file}`) : undefined;
  };
  const apply = lines(
    sh`cd ${path}`,
    sh`fl_dst=${path}`,
    m.owner !== undefined ? sh`fl_o=${m.owner}` : undefined,
    m.group !== undefined ? sh`fl_g=${m.group}` : undefined,
    raw('fl_dir() {'),
    raw('  if [ -L "$1" ] || { [ -e "$1" ] && [ ! -d "$1" ]; }; then rm -rf -- "$1"; fi'),
    raw('  [ -d "$1" ] || mkdir -- "$1"'),
    raw('  chmod "$2" -- "$1"'),
    own('"$1"'),
    raw('}'),
    raw('fl_put() {'),
    raw('  if [ -L "$1" ] || [ -d "$1" ]; then rm -rf -- "$1"; fi'),
    raw('  if [ ! -f "$1" ] || [ "$(sha256sum <"$1")" != "$2  -" ]; then'),
    raw('    fl_n="${1%/*}/.${1##*/}.forklift-new"'),
    raw('    rm -f -- "$fl_n"'),
    raw('    (umask 077; set -C; fl_need "$2" "$3" >"$fl_n")'),
    raw('    if [ "$(sha256sum <"$fl_n")" != "$2  -" ]; then rm -f -- "$fl_n"; echo "the content that arrived for $fl_dst/${1#./} differs from the local file (it changed while it was sent, or the transfer was cut)" >&2; exit 4; fi'),
    raw('    chmod "$4" -- "$fl_n"'),
    own('"$fl_n"'),
    raw('    mv -f -- "$fl_n" "$1"'),
    raw('  fi'),
    raw('  chmod "$4" -- "$1"'),
    own('"$1"'),
    raw('}'),
    raw('fl_link() {'),
    raw('  if [ ! -L "$1" ] || [ "$(readlink -- "$1")" != "$2" ]; then rm -rf -- "$1"; ln -s -- "$2" "$1"; fi'),
    own('"$1"'),
    raw('}'),
    ...m.entries.map((e) =>
      e.kind === 'dir' ? sh`fl_dir ${e.rel} ${e.mode}` : e.kind === 'file' ? sh`fl_put ${e.rel} ${e.source.sha256} ${e.source.size} ${e.mode}` : sh`fl_link ${e.rel} ${e.target}`,
    ),
    // What the node has beyond the folder: everything find lists that the folder does not.
    m.delete
      ? lines(
          listing.length ? sh`printf '%s\\n' ${listing} >"$fl_t/keep"` : raw(': >"$fl_t/keep"'),
          raw('find . -mindepth 1 -printf \'%P\\n\' | sort | comm -23 - "$fl_t/keep" | while IFS= read -r fl_p; do rm -rf -- "./$fl_p"; done'),
        )
      : undefined,
  );
  const sources = [...new Map(files.map((f) => [f.source.sha256, f.source])).values()];
  return { check, apply, ...(sources.length ? { sources } : {}), preview: mirrorPreview(path, m, listing) };
}

/** One line per entry, as the preview lists both sides: `./rel file <sha256> <mode>`, `./rel dir <mode>`, `./rel link <target>`. */
const entryLine = (e: MirrorEntry) => (e.kind === 'file' ? `${e.rel} file ${e.source.sha256} ${e.mode}` : e.kind === 'dir' ? `${e.rel} dir ${e.mode}` : `${e.rel} link ${e.target}`);

/**
 * A mirror's diff is of two listings: the node lists what it has at each entry's path (and,
 * with `delete`, everything else under the folder), here the folder's entries are listed
 * the same way; both sorted as `sort` does under LC_ALL=C (bytes).
 */
function mirrorPreview(path: string, m: Mirror, listing: readonly string[]) {
  const wanted = m.entries.map(entryLine).sort(byteOrder);
  const rels = listing.map((r) => `./${r}`);
  const show = lines(
    raw(': >"$fl_t/m"'),
    sh`if cd ${path} 2>/dev/null; then`,
    lines(
      m.delete ? raw('{ find . -mindepth 1; ') : raw('{ '),
      rels.length ? sh`printf '%s\n' ${rels};` : raw(':;'),
      raw('} | sort -u | while IFS= read -r fl_p; do'),
      raw('  if [ -L "$fl_p" ]; then printf \'%s link %s\\n\' "$fl_p" "$(readlink -- "$fl_p")"'),
      raw('  elif [ -d "$fl_p" ]; then printf \'%s dir %s\\n\' "$fl_p" "$(stat -c %a -- "$fl_p")"'),
      raw('  elif [ -f "$fl_p" ]; then fl_h=$(sha256sum <"$fl_p"); printf \'%s file %s %s\\n\' "$fl_p" "${fl_h%% *}" "$(stat -c %a -- "$fl_p")"'),
      raw('  fi; done | sort >"$fl_t/m"'),
    ),
    raw('fi'),
    raw('fl_show "$fl_step" old "$fl_t/m"'),
  );
  return { path: `${path}/ (entries)`, show, after: { text: wanted.length ? `${wanted.join('\n')}\n` : '' } };
}
