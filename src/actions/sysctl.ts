// sysctl: a kernel parameter, set at once and kept in /etc/sysctl.d/90-forklift-<key>.conf
// (so it holds after a reboot): the check reads the live value too, so a value
// changed by hand since is set again. absent removes the file only: the running kernel
// keeps its value until the next boot (there is no default to go back to).
import { z } from 'zod';
import { parseSpec, schemaOnce } from '../validate.ts';
import { sh } from '../shell/sh.ts';
import { absentAction } from './absent.ts';
import { fileAction } from './file.ts';
import { action, defineAction, type Action, type Target } from './types.ts';

const keyInput = schemaOnce(() => z.object({ key: sysctlKey }));

export interface SysctlArgs {
  key: string;
  /** Fields separated by one space, as compared with the live value. */
  value?: string;
  state: 'present' | 'absent';
}

const sysctlSchema = z
  .object({
    /** `1`, `'1'`, or several fields: `'32768 60999'`. */
    value: z
      .union([z.number().int(), z.string().trim().min(1, 'must not be empty').regex(/^[^\n\r\0]*$/, 'must be one line')])
      .optional(),
    state: z.enum(['present', 'absent']).optional(),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.state !== 'absent' && o.value === undefined) ctx.addIssue({ code: 'custom', path: ['value'], message: 'required' });
    if (o.state === 'absent' && o.value !== undefined) ctx.addIssue({ code: 'custom', path: ['value'], message: 'only with state present' });
  });

export type SysctlOptions = z.input<typeof sysctlSchema>;

/** Dotted, as sysctl prints it (`net.ipv4.ip_forward`); also the file's name. */
const sysctlKey = z.string().regex(/^[a-z0-9_]+(\.[A-Za-z0-9_@:-]+)+$/, 'not a sysctl key (dotted, as sysctl -a prints it: net.ipv4.ip_forward)');

export const pathOf = (key: string) => `/etc/sysctl.d/90-forklift-${key}.conf`;

export const sysctlAction = defineAction<SysctlArgs>({
  kind: 'sysctl',
  render({ key, value, state }, target: Target) {
    const path = pathOf(key);
    if (state === 'absent') return absentAction.render({ path }, target);
    const v = value ?? '';
    // sysctl -n separates fields with tabs: compare with single spaces.
    const live = { check: sh`[ "$(sysctl -n ${key} | tr '\\t' ' ' | tr -s ' ')" = ${v} ]`, apply: sh`sysctl -q -w ${`${key}=${v}`}` };
    // Set first: a value the kernel refuses is not written for the next boot.
    return [live, ...fileAction.render({ path, content: `${key} = ${v}\n`, mode: '0644' }, target)];
  },
});

/** A kernel parameter: set now, and kept in /etc/sysctl.d for the next boot. */
export function sysctl(key: string, options: SysctlOptions): Action<SysctlArgs> {
  const { key: k } = parseSpec(keyInput(), { key }, 'sysctl');
  const o = parseSpec(sysctlSchema, options, `sysctl ${k}`);
  if (o.state === 'absent') return action(sysctlAction, `sysctl ${k} absent`, { key: k, state: 'absent' });
  const value = String(o.value).split(/\s+/).join(' ');
  return action(sysctlAction, `sysctl ${k} = ${value}`, { key: k, value, state: 'present' });
}
