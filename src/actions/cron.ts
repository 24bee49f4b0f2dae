// cron: one job in a file of its own, /etc/cron.d/<name> (root's, 0644), which cron reads
// by itself. A whole file per job (not a line in a user's crontab) is replaced atomically,
// needs no crontab parsing, and the name is the job's identity, as Ansible's cron `name`.
import { z } from 'zod';
import { parseSpec, schemaOnce } from '../validate.ts';
import { absentAction } from './absent.ts';
import { fileAction } from './file.ts';
import { accountName } from './ownership.ts';
import { action, defineAction, type Action, type Target } from './types.ts';

const nameInput = schemaOnce(() => z.object({ name: jobName }));

export interface CronArgs {
  name: string;
  state: 'present' | 'absent';
  /** The file's text (present). */
  content?: string;
}

const FIELDS = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] },
  { name: 'day of week', min: 0, max: 7, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
];
const NICKNAMES = ['@reboot', '@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];

/** Why `schedule` is not a cron schedule, or undefined (crontab(5): numbers, ranges, steps, lists; names alone). */
export function scheduleProblem(schedule: string): string | undefined {
  if (NICKNAMES.includes(schedule)) return undefined;
  const parts = schedule.trim().split(/\s+/);
  if (parts.length !== 5) return `must be 5 fields (minute hour day-of-month month day-of-week) or one of ${NICKNAMES.join(', ')}`;
  for (const [i, part] of parts.entries()) {
    const field = FIELDS[i]!;
    if (field.names?.includes(part.toLowerCase())) continue;
    for (const item of part.split(',')) {
      const m = /^(?:\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(item);
      const numbers = m ? [m[1], m[2]].filter((n): n is string => n !== undefined).map(Number) : [];
      if (!m || numbers.some((n) => n < field.min || n > field.max) || (numbers.length === 2 && numbers[0]! > numbers[1]!) || m[3] === '0') {
        return `${field.name} field "${part}": not ${field.min}-${field.max}, *, a range, a step or a list of them${field.names ? ` (or one name: ${field.names.join(', ')})` : ''}`;
      }
    }
  }
  return undefined;
}

// Written as NAME="value"; cron's parser (Debian's) fails on a " inside and drops trailing blanks.
const envValue = z.string().regex(/^[^\n\r\0"]*$/, 'must be one line without "').refine((v) => !/\s$/.test(v), 'cron drops trailing blanks of a value');

const cronSchema = z
  .object({
    /** crontab's five fields (`'30 2 * * 1-5'`) or a nickname (`'@daily'`). */
    schedule: z
      .string()
      .superRefine((s, ctx) => {
        const problem = scheduleProblem(s);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .optional(),
    /** One line of /bin/sh, as you would type it: forklift escapes % (which cron turns into a newline). */
    command: z
      .string()
      .min(1, 'must not be empty')
      .refine((c) => !/[\n\r\0]/.test(c), 'must be one line')
      .refine((c) => !c.includes('\\%'), 'cron cannot run \\ before % (put the command in a script)')
      .optional(),
    /** The account the job runs as (default root). */
    user: accountName.optional(),
    /** Environment lines of the file (`{ MAILTO: '' }`). */
    env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'not an environment variable name'), envValue).optional(),
    state: z.enum(['present', 'absent']).optional(),
  })
  .strict()
  .superRefine((o, ctx) => {
    for (const key of ['schedule', 'command'] as const) {
      if (o.state !== 'absent' && o[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: 'required' });
    }
    for (const key of ['schedule', 'command', 'user', 'env'] as const) {
      if (o.state === 'absent' && o[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: 'only with state present' });
    }
  });

export type CronOptions = z.input<typeof cronSchema>;

// run-parts' rule, which cron follows for /etc/cron.d: other names are skipped silently.
const jobName = z.string().regex(/^[A-Za-z0-9_-]{1,100}$/, 'must be letters, digits, - and _ (cron skips other names in /etc/cron.d)');

export const cronAction = defineAction<CronArgs>({
  kind: 'cron',
  render({ name, state, content }, target: Target) {
    const path = `/etc/cron.d/${name}`;
    if (state === 'absent') return absentAction.render({ path }, target);
    return fileAction.render({ path, content: content ?? '', owner: 'root', group: 'root', mode: '0644' }, target);
  },
});

/** A cron job in /etc/cron.d/<name> (needs the cron package), or its removal. */
export function cron(name: string, options: CronOptions): Action<CronArgs> {
  const { name: n } = parseSpec(nameInput(), { name }, 'cron');
  const o = parseSpec(cronSchema, options, `cron ${n}`);
  if (o.state === 'absent') return action(cronAction, `cron ${n} absent`, { name: n, state: 'absent' });
  const schedule = o.schedule!.trim().split(/\s+/).join(' ');
  const env = Object.entries(o.env ?? {}).map(([k, v]) => `${k}="${v}"\n`);
  const content = `# forklift cron ${n}\n${env.join('')}${schedule} ${o.user ?? 'root'} ${o.command!.replaceAll('%', '\\%')}\n`;
  return action(cronAction, `cron ${n}`, { name: n, state: 'present', content });
}
