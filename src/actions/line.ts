// line: a file holds a line exactly once (present), or not at all (absent). The lines the
// action owns are those that match `match` (POSIX ERE, grep -E) and those equal to `line`.
// present: the first owned line becomes `line` and later owned lines are removed, or,
// with none, `line` is appended; so the file says it once, wherever its reader takes the
// first (sshd) or the last (most others) of repeated settings. absent: every owned line goes.
import { posix } from 'node:path';
import { z } from 'zod';
import { parseSpec, schemaOnce } from '../validate.ts';
import { lines, raw, Secret, sh } from '../shell/sh.ts';
import { editStep, fail, MAX_EDIT_BYTES, type Edit } from './edit.ts';
import { ere } from './ere.ts';
import { action, defineAction, type Action } from './types.ts';

const pathInput = schemaOnce(() => z.object({ path: z.string().regex(/^\/./, 'must be an absolute path to a file') }));

export interface LineArgs {
  path: string;
  line?: string | Secret;
  match?: string;
  state: 'present' | 'absent';
  create: boolean;
}

const oneLine = z
  .string()
  .min(1, 'must not be empty')
  .max(MAX_EDIT_BYTES, `must be at most ${MAX_EDIT_BYTES} characters`)
  .refine((s) => !/[\n\0]/.test(s), 'must be one line (no newline or NUL)');
const secretLine = z.instanceof(Secret).superRefine((s, ctx) => {
  const r = oneLine.safeParse(s.value);
  if (!r.success) ctx.addIssue({ code: 'custom', message: r.error.issues[0]!.message });
});

const lineSchema = z
  .object({
    /** The line, without its newline; secret(text) shows as ***. */
    line: z.union([oneLine, secretLine]).optional(),
    /** Lines matching this POSIX extended regular expression are replaced (present) or removed (absent). */
    match: ere.optional(),
    state: z.enum(['present', 'absent']).optional(),
    /** Create a missing file (present only); without it a missing file fails the action. */
    create: z.boolean().optional(),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.state !== 'absent' && o.line === undefined) ctx.addIssue({ code: 'custom', path: ['line'], message: 'required' });
    if (o.state === 'absent' && o.line === undefined && o.match === undefined) ctx.addIssue({ code: 'custom', path: ['match'], message: 'state absent needs line or match' });
    if (o.state === 'absent' && o.create !== undefined) ctx.addIssue({ code: 'custom', path: ['create'], message: 'only with state present' });
  });

export type LineOptions = z.input<typeof lineSchema>;

// Line numbers of the lines `match` selects come from grep (awk on Debian is mawk, whose
// regular expressions lack {n,m}); lines equal to `line` are found by awk itself.
const BEGIN = 'BEGIN { want = "" ENVIRON["FL_LINE"]; n = split(ENVIRON["FL_HITS"], h, "\\n"); for (i = 1; i <= n; i++) hit[h[i] + 0] = 1 }';
const PROGRAMS = {
  present: `${BEGIN}\n(NR in hit) || $0 == want { if (!done) print want; done = 1; next }\n{ print }\nEND { if (!done) print want }`,
  absent: `${BEGIN}\n(NR in hit) || $0 == want { next }\n{ print }`,
  /** absent, by `match` alone: an empty `want` must not remove empty lines. */
  absentMatched: `${BEGIN}\n(NR in hit) { next }\n{ print }`,
};

export const lineAction = defineAction<LineArgs>({
  kind: 'line',
  render(args) {
    const { path, line, match, state } = args;
    const env: Edit['env'] = {};
    if (line !== undefined) env.FL_LINE = line;
    if (match !== undefined) env.FL_HITS = raw('"$fl_hits"');
    const program = state === 'present' ? PROGRAMS.present : line !== undefined ? PROGRAMS.absent : PROGRAMS.absentMatched;
    const edit: Edit = {
      locate: sh`fl_f=${path}`,
      // grep's status is kept (2: an error), then only the numbers go on (awk's environment is small).
      prepare: match !== undefined ? lines(sh`fl_hits=$(grep -n -a -E -e ${match} -- "$fl_f") || [ $? -eq 1 ]`, raw(`fl_hits=$(printf '%s\\n' "$fl_hits" | cut -d: -f1)`)) : undefined,
      program,
      env,
      ifMissing: state === 'absent' ? 'ok' : args.create ? sh`mkdir -p ${posix.dirname(path)} && : >"$fl_f"` : fail(`${path}: no such file (create: true makes it)`),
    };
    return [editStep(edit, path)];
  },
});

/** A line of a file, present exactly once or absent (see the reference for the rules). */
export function line(path: string, options: LineOptions): Action<LineArgs> {
  const { path: p } = parseSpec(pathInput(), { path }, 'line');
  const o = parseSpec(lineSchema, options, `line ${p}`);
  const state = o.state ?? 'present';
  const args: LineArgs = { path: p, state, create: o.create ?? false };
  if (o.line !== undefined) args.line = o.line;
  if (o.match !== undefined) args.match = o.match;
  const shown = o.line instanceof Secret ? '***' : o.line;
  const what = state === 'present' ? shown : `absent ${o.match !== undefined ? `/${o.match}/` : shown}`;
  return action(lineAction, `line ${p}: ${what}`, args);
}
