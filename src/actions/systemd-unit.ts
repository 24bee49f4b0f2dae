// systemdUnit: a unit file in /etc/systemd/system, loaded (daemon-reload only when it
// changed, or when systemd says the file on disk is newer than what it runs), a running
// unit restarted when its file changed, and enabled and started. One action, so the
// reload and the restart cannot be lost between runs: systemd's own NeedDaemonReload is
// part of the check. absent: stopped, disabled, removed, reloaded.
import { z } from 'zod';
import { parseSpec, schemaOnce } from '../validate.ts';
import { lines, raw, sh } from '../shell/sh.ts';
import { fileAction } from './file.ts';
import { action, defineAction, type Action, type Step, type Target } from './types.ts';

const nameInput = schemaOnce(() => z.object({ name: unitFileName }));

export interface SystemdUnitArgs {
  name: string;
  state: 'present' | 'absent';
  content?: string;
  enabled?: boolean;
  active?: 'started' | 'stopped';
  restartOnChange?: boolean;
}

const TYPES = ['service', 'socket', 'timer', 'target', 'path', 'mount', 'automount', 'swap', 'slice'];
const unitFileName = z.string().regex(new RegExp(`^[A-Za-z0-9:_.][A-Za-z0-9:_.\\\\-]*(@[A-Za-z0-9:_.\\\\-]*)?\\.(${TYPES.join('|')})$`), `must be a unit file name with its type (app.service, backup.timer, app@.service)`);
const isTemplate = (name: string) => /@\.[a-z]+$/.test(name);

const unitSchema = z
  .object({
    /** The unit file's text. */
    content: z.string().optional(),
    /** Enabled at boot (default true, unless state is given). */
    enabled: z.boolean().optional(),
    /** started (default) or stopped; absent removes the unit. */
    state: z.enum(['started', 'stopped', 'absent']).optional(),
    /** Restart a running unit when its file changed (default true). */
    restartOnChange: z.boolean().optional(),
  })
  .strict();

export type SystemdUnitOptions = z.input<typeof unitSchema>;

/** The options for this unit: which fit depends on the state and on whether the unit is a template. */
function schemaFor(name: string) {
  return unitSchema.superRefine((v, ctx) => {
    if (v.state === 'absent') {
      for (const key of ['content', 'enabled', 'restartOnChange'] as const) if (v[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: 'not with state absent' });
      return;
    }
    if (v.content === undefined) ctx.addIssue({ code: 'custom', path: ['content'], message: 'required' });
    if (isTemplate(name)) {
      for (const key of ['enabled', 'state'] as const) if (v[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: 'a template unit has no instance to run: manage its instances with service()' });
    }
  });
}

const needsReload = (name: string) => sh`[ "$(systemctl show --property NeedDaemonReload --value ${name})" != yes ]`;

export const systemdUnitAction = defineAction<SystemdUnitArgs>({
  kind: 'systemdUnit',
  render(args, target: Target) {
    const { name } = args;
    const path = `/etc/systemd/system/${name}`;
    if (args.state === 'absent') {
      const apply = lines(
        isTemplate(name) ? undefined : sh`systemctl disable --now --quiet ${name}`,
        sh`rm -f ${path}`,
        raw('systemctl daemon-reload'),
        sh`systemctl reset-failed ${name} 2>/dev/null || true`,
      );
      return [{ check: sh`[ ! -e ${path} ] && [ ! -L ${path} ]`, apply }];
    }
    const [write, ...fileRest] = fileAction.render({ path, content: args.content ?? '', mode: '0644' }, target);
    const load: Step = {
      check: lines(write!.check, needsReload(name)),
      apply: lines(write!.apply, raw('systemctl daemon-reload'), args.restartOnChange ? sh`systemctl try-restart ${name}` : undefined),
      ...(write!.preview ? { preview: write!.preview } : {}),
    };
    const steps: Step[] = [load, ...fileRest];
    if (args.enabled === true) steps.push({ check: sh`systemctl is-enabled --quiet ${name}`, apply: sh`systemctl enable --quiet ${name}` });
    // A static unit (no [Install]) cannot be enabled, and counts as not enabled.
    if (args.enabled === false) steps.push({ check: sh`[ "$(systemctl is-enabled ${name} 2>/dev/null)" != enabled ]`, apply: sh`systemctl disable --quiet ${name}` });
    if (args.active === 'started') steps.push({ check: sh`systemctl is-active --quiet ${name}`, apply: sh`systemctl start ${name}` });
    if (args.active === 'stopped') steps.push({ check: sh`! systemctl is-active --quiet ${name}`, apply: sh`systemctl stop ${name}` });
    return steps;
  },
});

/** A systemd unit from its file's text: loaded, restarted on change, enabled and started by default. */
export function systemdUnit(name: string, options: SystemdUnitOptions): Action<SystemdUnitArgs> {
  const { name: n } = parseSpec(nameInput(), { name }, 'systemdUnit');
  const o = parseSpec(schemaFor(n), options, `systemdUnit ${n}`);
  if (o.state === 'absent') return action(systemdUnitAction, `systemdUnit ${n} absent`, { name: n, state: 'absent' });
  const args: SystemdUnitArgs = { name: n, state: 'present', content: o.content! };
  if (!isTemplate(n)) {
    const neither = o.enabled === undefined && o.state === undefined;
    const enabled = neither ? true : o.enabled;
    const active = neither ? 'started' : o.state;
    if (enabled !== undefined) args.enabled = enabled;
    if (active !== undefined) args.active = active;
    args.restartOnChange = (o.restartOnChange ?? true) && active !== 'stopped';
  }
  return action(systemdUnitAction, `systemdUnit ${n}`, args);
}
