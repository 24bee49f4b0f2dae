// service: enabled at boot and in the wanted state (systemd). restarted/reloaded always
// act, so they are usually handlers: `onChangeOf: [configFile]`.
import { z } from 'zod';
import { parseSpec, schemaOnce } from '../validate.ts';
import { lines, raw, sh } from '../shell/sh.ts';
import { action, defineAction, type Action, type Step } from './types.ts';

const nameInput = schemaOnce(() => z.object({ name: unitName }));

const serviceSchema = z
  .object({
    enabled: z.boolean().optional(),
    state: z.enum(['started', 'stopped', 'restarted', 'reloaded']).optional(),
    /** Run only when one of these actions changed something in this phase. */
    onChangeOf: z.array(z.custom<Action>((v) => typeof v === 'object' && v !== null && 'kind' in v)).optional(),
  })
  .strict();

const unitName = z.string().regex(/^[A-Za-z0-9:_.@\\][A-Za-z0-9:_.@\\-]*$/, 'not a systemd unit name');

export type ServiceOptions = z.input<typeof serviceSchema>;

export interface ServiceArgs {
  name: string;
  enabled?: boolean;
  state?: 'started' | 'stopped' | 'restarted' | 'reloaded';
}

export const serviceAction = defineAction<ServiceArgs>({
  kind: 'service',
  render({ name, enabled, state }) {
    const steps: Step[] = [];
    if (enabled === true) steps.push({ check: sh`systemctl is-enabled --quiet ${name}`, apply: sh`systemctl enable --quiet ${name}` });
    if (enabled === false) steps.push({ check: sh`! systemctl is-enabled --quiet ${name}`, apply: sh`systemctl disable --quiet ${name}` });
    if (state === 'started') steps.push({ check: sh`systemctl is-active --quiet ${name}`, apply: sh`systemctl start ${name}` });
    if (state === 'stopped') steps.push({ check: sh`! systemctl is-active --quiet ${name}`, apply: sh`systemctl stop ${name}` });
    if (state === 'restarted') steps.push({ apply: sh`systemctl restart ${name}` });
    if (state === 'reloaded') steps.push({ apply: reload(name) });
    return steps;
  },
});

/**
 * Reload, and return only once the new configuration serves: `systemctl reload` returns
 * while the old worker processes still answer, so wait (up to 10 s in all, not per
 * process) for the main process's old children to exit. A stopped service is started instead.
 */
function reload(name: string) {
  return lines(
    sh`if ! systemctl is-active --quiet ${name}; then systemctl start ${name}; exit 0; fi`,
    sh`fl_main=$(systemctl show --property MainPID --value ${name})`,
    raw('fl_old=$( [ "${fl_main:-0}" -gt 0 ] && pgrep -P "$fl_main" || true)'),
    sh`systemctl reload ${name}`,
    raw('i=0; for p in $fl_old; do while kill -0 "$p" 2>/dev/null && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i+1)); done; done'),
  );
}

/** A systemd service. Default: enabled and started. */
export function service(name: string, options: ServiceOptions = {}): Action<ServiceArgs> {
  const { name: n } = parseSpec(nameInput(), { name }, 'service');
  const { onChangeOf, ...o } = parseSpec(serviceSchema, options, `service ${n}`);
  const args: ServiceArgs = { name: n, enabled: o.enabled ?? (o.state === undefined ? true : undefined), state: o.state ?? 'started' };
  const label = `service ${n}${o.state && o.state !== 'started' ? ` ${o.state}` : ''}`;
  return action(serviceAction, label, args, onChangeOf);
}
