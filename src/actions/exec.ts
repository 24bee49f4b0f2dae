// execChecked: a script that must succeed; a non-zero exit fails the node.
// Idempotent when given `creates` (a path the script makes) or `unless` (a check command).
import { z } from 'zod';
import { parseSpec, schemaOnce } from '../validate.ts';
import { Cmd, raw, sh } from '../shell/sh.ts';
import { action, defineAction, type Action } from './types.ts';

const labelInput = schemaOnce(() => z.object({ label: z.string().min(1) }));

export interface ExecArgs {
  script: Cmd;
  creates?: string;
  unless?: Cmd;
}

const execSchema = z
  .object({
    /** Skip when this path exists. */
    creates: z.string().regex(/^\//, 'must be an absolute path').optional(),
    /** Skip when this command exits 0. */
    unless: z.union([z.string(), z.instanceof(Cmd)]).optional(),
    onChangeOf: z.array(z.custom<Action>((v) => typeof v === 'object' && v !== null && 'kind' in v)).optional(),
  })
  .strict();

export const execAction = defineAction<ExecArgs>({
  kind: 'exec',
  // A script may prepare what apt installs (a repository by hand, debconf answers).
  barrier: true,
  render({ script, creates, unless }) {
    const checks = [creates !== undefined ? sh`[ -e ${creates} ]` : undefined, unless].filter((c): c is Cmd => c !== undefined);
    const check = checks.length
      ? new Cmd(checks.map((c) => `{ ${c.text}\n}`).join(' || '), checks.map((c) => c.shown).join(' || '), checks.flatMap((c) => c.secrets))
      : undefined;
    return [check ? { check, apply: script } : { apply: script }];
  },
});

/**
 * Run a shell script on the node (under `set -e`); it fails the node on a non-zero exit.
 * A string is the script text itself: interpolate values with the `sh` template so they are quoted.
 */
export function execChecked(label: string, script: string | Cmd, options: z.input<typeof execSchema> = {}): Action<ExecArgs> {
  const { label: name } = parseSpec(labelInput(), { label }, 'execChecked');
  const { onChangeOf, creates, unless } = parseSpec(execSchema, options, `execChecked ${name}`);
  const args: ExecArgs = { script: typeof script === 'string' ? raw(script) : script };
  if (creates !== undefined) args.creates = creates;
  if (unless !== undefined) args.unless = typeof unless === 'string' ? raw(unless) : unless;
  return action(execAction, name, args, onChangeOf);
}
