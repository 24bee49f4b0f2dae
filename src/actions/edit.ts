// Editing a file with an awk program (line, block, authorizedKeys). The check runs the
// program and compares its output with the file, so check and apply cannot disagree. The
// apply writes the output beside the file (0600 while it is written), gives it the file's
// owner and mode, and renames it over the file; a symbolic link's target is the file
// edited, as Ansible's lineinfile does. Values reach awk in its environment (ENVIRON),
// never as program text, so awk reads them as plain strings.
import { Cmd, Secret, join, lines, raw, sh } from '../shell/sh.ts';
import type { Step } from './types.ts';

export interface Edit {
  /** Sets $fl_f to the file's path (and whatever `prepare` and `ifMissing` need). */
  locate: Cmd;
  /** Runs before awk, in check and apply: may set shell variables that `env` passes on. */
  prepare?: Cmd;
  /** The awk program: fixed text, never built from a value. */
  program: string;
  /** awk's environment: a value (quoted) or a shell word such as raw('"$fl_hits"'). */
  env: Record<string, string | Secret | Cmd>;
  /** A missing file: 'ok' (nothing to remove), or the apply runs this (fail, or create it). */
  ifMissing: 'ok' | Cmd;
}

/** Environment values travel through exec, where one string may hold at most 128 KiB. */
export const MAX_EDIT_BYTES = 100_000;

function awk(edit: Edit, file: string): Cmd {
  const env = Object.entries(edit.env).map(([name, value]) => sh`${raw(name)}=${value} `);
  return sh`${join(env, '')}awk ${edit.program} ${raw(file)}`;
}

/** `path`: the file as a diff names it. */
export function editStep(edit: Edit, path: string): Step {
  const check = lines(
    edit.locate,
    edit.ifMissing === 'ok' ? raw('[ -e "$fl_f" ] || exit 0') : raw('[ -f "$fl_f" ]'),
    edit.prepare,
    sh`${awk(edit, '"$fl_f"')} | cmp -s - "$fl_f"`,
  );
  const apply = lines(
    edit.locate,
    edit.ifMissing === 'ok' ? undefined : sh`[ -e "$fl_f" ] || { ${edit.ifMissing}; }`,
    // $(...) drops trailing newlines, and a name may end in one: keep a "." after it.
    raw('fl_r=$(readlink -f -- "$fl_f"; echo .); fl_r=${fl_r%??}'),
    raw('fl_n="$fl_r.forklift-new"'),
    raw(`trap 'rm -f "$fl_n"' EXIT`),
    edit.prepare,
    // Made afresh (noclobber), never a file or link someone left under its name; chown -h
    // does not follow one swapped in after.
    raw('umask 077; rm -f "$fl_n"; set -C'),
    sh`${awk(edit, '"$fl_r"')} >"$fl_n"`,
    raw('set +C'),
    raw('chown -h --reference="$fl_r" -- "$fl_n"'),
    raw('chmod --reference="$fl_r" -- "$fl_n"'),
    raw('mv -f -- "$fl_n" "$fl_r"'),
  );
  // The preview runs the same program into a scratch file: the node sends the file and what it would become.
  const show = lines(
    edit.locate,
    raw('fl_show "$fl_step" old "$fl_f"'),
    raw('if [ -f "$fl_f" ]; then'),
    edit.prepare,
    sh`${awk(edit, '"$fl_f"')} >"$fl_t/n"`,
    raw('else'),
    edit.prepare ? raw('fl_hits=') : undefined,
    sh`${awk(edit, '/dev/null')} >"$fl_t/n"`,
    raw('fi'),
    raw('fl_show "$fl_step" new "$fl_t/n"'),
  );
  const secret = Object.values(edit.env).some((v) => v instanceof Secret);
  return { check, apply, preview: { path, show, ...(secret ? { secret } : {}) } };
}

/** A one-line message on stderr and a failed step (printf: echo would read backslashes). */
export function fail(message: string): Cmd {
  return sh`printf '%s\\n' ${message} >&2; exit 1`;
}
