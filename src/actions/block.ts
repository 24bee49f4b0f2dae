// block: lines of a file between `# BEGIN forklift <name>` and `# END forklift <name>`
// (Ansible's blockinfile). present: the block is replaced where it stands, or appended;
// a second copy of it is removed. absent: the block and its markers go.
import { posix } from 'node:path';
import { z } from 'zod';
import { SpecError } from '../errors.ts';
import { parseSpec } from '../validate.ts';
import { Secret, sh } from '../shell/sh.ts';
import { editStep, fail, MAX_EDIT_BYTES, type Edit } from './edit.ts';
import { action, defineAction, type Action } from './types.ts';

export interface BlockArgs {
  path: string;
  name: string;
  /** The lines between the markers, each ending in a newline ('' for none). */
  content?: string | Secret;
  comment: string;
  state: 'present' | 'absent';
  create: boolean;
}

const blockSchema = z
  .object({
    /** The block's lines; a final newline is added when missing. */
    content: z.union([z.string(), z.instanceof(Secret)]).optional(),
    state: z.enum(['present', 'absent']).optional(),
    /** What starts a comment in this file, for the markers (default '#'). */
    comment: z.string().regex(/^[^\s]{1,10}$/, 'must be 1 to 10 characters, no space').optional(),
    create: z.boolean().optional(),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.state !== 'absent' && o.content === undefined) ctx.addIssue({ code: 'custom', path: ['content'], message: 'required' });
    if (o.state === 'absent' && o.content !== undefined) ctx.addIssue({ code: 'custom', path: ['content'], message: 'only with state present' });
    if (o.state === 'absent' && o.create !== undefined) ctx.addIssue({ code: 'custom', path: ['create'], message: 'only with state present' });
    const text = o.content instanceof Secret ? o.content.value : (o.content ?? '');
    if (text.includes('\0')) ctx.addIssue({ code: 'custom', path: ['content'], message: 'must not contain NUL' });
    if (text.length > MAX_EDIT_BYTES) ctx.addIssue({ code: 'custom', path: ['content'], message: `must be at most ${MAX_EDIT_BYTES} characters` });
  });

export type BlockOptions = z.input<typeof blockSchema>;

const BEGIN = 'BEGIN { b = "" ENVIRON["FL_BEGIN"]; e = "" ENVIRON["FL_END"] }';
// A begin marker without its end marker would swallow the rest of the file: refuse it.
const UNCLOSED = 'END { if (inside) { print "a begin marker has no end marker: " b >"/dev/stderr"; exit 3 } }';
const PROGRAMS = {
  present: `${BEGIN}\ninside { if ($0 == e) inside = 0; next }\n$0 == b { if (!done) print ENVIRON["FL_BLOCK"]; done = inside = 1; next }\n{ print }\n${UNCLOSED}\nEND { if (!done) print ENVIRON["FL_BLOCK"] }`,
  absent: `${BEGIN}\ninside { if ($0 == e) inside = 0; next }\n$0 == b { inside = 1; next }\n{ print }\n${UNCLOSED}`,
};

export const markers = (comment: string, name: string) => ({ begin: `${comment} BEGIN forklift ${name}`, end: `${comment} END forklift ${name}` });

export const blockAction = defineAction<BlockArgs>({
  kind: 'block',
  render(args) {
    const { path, state } = args;
    const { begin, end } = markers(args.comment, args.name);
    const env: Edit['env'] = { FL_BEGIN: begin, FL_END: end };
    if (state === 'present') {
      const wrap = (text: string) => `${begin}\n${text}${end}`;
      env.FL_BLOCK = args.content instanceof Secret ? new Secret(wrap(args.content.value)) : wrap(args.content ?? '');
    }
    const edit: Edit = {
      locate: sh`fl_f=${path}`,
      program: PROGRAMS[state],
      env,
      ifMissing: state === 'absent' ? 'ok' : args.create ? sh`mkdir -p ${posix.dirname(path)} && : >"$fl_f"` : fail(`${path}: no such file (create: true makes it)`),
    };
    return [editStep(edit, path)];
  },
});

const withNewline = (text: string) => (text === '' || text.endsWith('\n') ? text : `${text}\n`);

/** A marked block of lines in a file, present (replaced in place) or absent. */
export function block(path: string, name: string, options: BlockOptions): Action<BlockArgs> {
  const { path: p, name: n } = parseSpec(
    z.object({ path: z.string().regex(/^\/./, 'must be an absolute path to a file'), name: z.string().regex(/^[A-Za-z0-9_.:@/-]{1,100}$/, 'must be 1 to 100 letters, digits or _.:@/-') }),
    { path, name },
    'block',
  );
  const o = parseSpec(blockSchema, options, `block ${p} ${n}`);
  const state = o.state ?? 'present';
  const comment = o.comment ?? '#';
  const args: BlockArgs = { path: p, name: n, comment, state, create: o.create ?? false };
  if (o.content !== undefined) {
    const text = withNewline(o.content instanceof Secret ? o.content.value : o.content);
    const { begin, end } = markers(comment, n);
    const marker = text.split('\n').find((l) => l === begin || l === end);
    if (marker !== undefined) throw new SpecError(`block ${p} ${n}`, `content: holds the block's own marker line "${marker}"`);
    args.content = o.content instanceof Secret ? new Secret(text) : text;
  }
  return action(blockAction, `block ${p} ${n}${state === 'absent' ? ' absent' : ''}`, args);
}
