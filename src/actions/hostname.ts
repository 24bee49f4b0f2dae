// hostname: the node's name, now (`hostname`, the kernel's: works in LXC containers and
// without systemd) and at boot (/etc/hostname, which systemd reads; cloud-init leaves a
// name changed by the operator alone). Debian's 127.0.1.1 line in /etc/hosts follows, so
// the name resolves (sudo warns otherwise).
import { z } from 'zod';
import { parseSpec, schemaOnce } from '../validate.ts';
import { sh } from '../shell/sh.ts';
import { fileAction } from './file.ts';
import { lineAction } from './line.ts';
import { action, defineAction, type Action, type Step, type Target } from './types.ts';

const nameInput = schemaOnce(() => z.object({ name: hostName }));

export interface HostnameArgs {
  name: string;
  hosts: boolean;
}

const label = '[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?';
const hostName = z
  .string()
  .max(64, 'must be at most 64 characters (the kernel keeps no more)')
  .regex(new RegExp(`^${label}(\\.${label})*$`), 'not a host name (lowercase letters, digits and -, in labels separated by dots)');

const hostnameSchema = z
  .object({
    /** Keep /etc/hosts' 127.0.1.1 line naming the host (default true). */
    hosts: z.boolean().optional(),
  })
  .strict();

export type HostnameOptions = z.input<typeof hostnameSchema>;

export const hostnameAction = defineAction<HostnameArgs>({
  kind: 'hostname',
  render({ name, hosts }, target: Target) {
    const short = name.split('.')[0]!;
    const steps: Step[] = [];
    if (hosts) {
      const line = `127.0.1.1\t${name === short ? name : `${name} ${short}`}`;
      steps.push(...lineAction.render({ path: '/etc/hosts', match: '^127\\.0\\.1\\.1[[:space:]]', line, state: 'present', create: false }, target));
    }
    steps.push(...fileAction.render({ path: '/etc/hostname', content: `${name}\n`, mode: '0644' }, target));
    steps.push({ check: sh`[ "$(hostname)" = ${name} ]`, apply: sh`hostname ${name}` });
    return steps;
  },
});

/** The node's host name, now and after a reboot. */
export function hostname(name: string, options: HostnameOptions = {}): Action<HostnameArgs> {
  const { name: n } = parseSpec(nameInput(), { name }, 'hostname');
  const o = parseSpec(hostnameSchema, options, `hostname ${n}`);
  return action(hostnameAction, `hostname ${n}`, { name: n, hosts: o.hosts ?? true });
}
