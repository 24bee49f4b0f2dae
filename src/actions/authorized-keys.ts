// authorizedKeys: a user's ~/.ssh/authorized_keys holds these keys (Ansible's
// authorized_key). A key is known by its base64 blob: a line with the same blob but other
// options or comment is replaced by the line given. exclusive: the file holds exactly
// these lines. absent: lines with these blobs are removed. ~/.ssh is 0700 and the file
// 0600, both the user's; a symbolic link at either is refused, and the file is written by
// the user, never by root (a link could point root's write at another account's keys).
import { z } from 'zod';
import { parseSpec, schemaOnce } from '../validate.ts';
import { lines, raw, sh, type Cmd } from '../shell/sh.ts';
import { fail, MAX_EDIT_BYTES } from './edit.ts';
import { userName } from './user.ts';
import { action, defineAction, type Action, type Step } from './types.ts';

const userInput = schemaOnce(() => z.object({ user: userName }));

export interface AuthorizedKeysArgs {
  user: string;
  /** Public key lines, trimmed. */
  keys: string[];
  exclusive: boolean;
  state: 'present' | 'absent';
}

const KEY_TYPES = ['ssh-ed25519', 'ssh-rsa', 'ssh-dss', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'sk-ssh-ed25519@openssh.com', 'sk-ecdsa-sha2-nistp256@openssh.com'];
const KEY_LINE = new RegExp(`^(?:\\S.*?\\s+)?(${KEY_TYPES.map((t) => t.replaceAll('.', '\\.')).join('|')})\\s+([A-Za-z0-9+/]+={0,2})(?:\\s.*)?$`);

/** The key's base64 blob, or why the line is not a public key. */
export function keyBlob(line: string): { blob: string } | { problem: string } {
  if (/[\n\r\0]/.test(line)) return { problem: 'must be one line' };
  const m = KEY_LINE.exec(line);
  if (!m) return { problem: `not an SSH public key line ([options] ${KEY_TYPES[0]}|${KEY_TYPES[1]}|… base64 [comment])` };
  const [, type, blob] = m as unknown as [string, string, string];
  if (!isKeyBlob(Buffer.from(blob, 'base64'), type)) return { problem: `the base64 part is not a whole ${type} key (cut short or mistyped?)` };
  return { blob };
}

/** SSH's wire format: length-prefixed fields, the first naming the type, that end exactly at the end. */
function isKeyBlob(bytes: Buffer, type: string): boolean {
  const fields: Buffer[] = [];
  for (let at = 0; at < bytes.length; ) {
    if (at + 4 > bytes.length) return false;
    const length = bytes.readUInt32BE(at);
    if (at + 4 + length > bytes.length) return false;
    fields.push(bytes.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  return fields.length >= 2 && fields[0]!.toString('latin1') === type;
}

const keysSchema = z
  .object({
    keys: z.array(z.string().trim()),
    /** Remove every other line of the file. */
    exclusive: z.boolean().optional(),
    state: z.enum(['present', 'absent']).optional(),
  })
  .strict()
  .superRefine((o, ctx) => {
    const seen = new Map<string, number>();
    o.keys.forEach((key, i) => {
      const k = keyBlob(key);
      if ('problem' in k) return ctx.addIssue({ code: 'custom', path: ['keys', i], message: k.problem });
      if (seen.has(k.blob)) ctx.addIssue({ code: 'custom', path: ['keys', i], message: `the same key as keys.${seen.get(k.blob)}` });
      seen.set(k.blob, i);
    });
    if (o.keys.length === 0 && !o.exclusive) ctx.addIssue({ code: 'custom', path: ['keys'], message: 'must name a key (an empty list is only for exclusive: no key may log in)' });
    if (o.keys.join('\n').length > MAX_EDIT_BYTES) ctx.addIssue({ code: 'custom', path: ['keys'], message: `must be at most ${MAX_EDIT_BYTES} characters in all` });
    if (o.state === 'absent' && o.exclusive !== undefined) ctx.addIssue({ code: 'custom', path: ['exclusive'], message: 'only with state present' });
  });

export type AuthorizedKeysOptions = z.input<typeof keysSchema>;

const BEGIN = 'BEGIN { split(ENVIRON["FL_KEYS"], k, "\\n"); n = split(ENVIRON["FL_BLOBS"], blob, "\\n"); for (i = 1; i <= n; i++) want[blob[i]] = i }';
const PROGRAMS = {
  exclusive: 'BEGIN { printf "%s", ENVIRON["FL_TEXT"]; exit }',
  // Comment lines are never keys, even when they quote one.
  present: `${BEGIN}\n/^[ \\t]*#/ { print; next }\n{ for (f = 1; f <= NF; f++) if ($f in want) { i = want[$f]; if (!done[i]) print k[i]; done[i] = 1; next }; print }\nEND { for (i = 1; i <= n; i++) if (!done[i]) print k[i] }`,
  absent: `${BEGIN}\n/^[ \\t]*#/ { print; next }\n{ for (f = 1; f <= NF; f++) if ($f in want) next; print }`,
};

/** Sets $fl_home, $fl_d (~/.ssh) and $fl_f (its authorized_keys); a missing user fails, or, for absent, has nothing to remove. */
function locate(user: string, absent: boolean): Cmd {
  return lines(
    sh`fl_home=$(getent passwd ${user} | cut -d: -f6)`,
    absent ? raw('[ -n "$fl_home" ] || exit 0') : sh`[ -n "$fl_home" ] || { ${fail(`no user ${user}`)}; }`,
    raw('fl_d="$fl_home/.ssh"; fl_f="$fl_d/authorized_keys"'),
    sh`[ ! -L "$fl_d" ] && [ ! -L "$fl_f" ] || { ${fail(`~${user}/.ssh or its authorized_keys is a symbolic link: refused`)}; }`,
  );
}

// Inside ~/.ssh everything happens as the user (setpriv: no PAM session): the user owns the
// folder, so as root any step by name there could be sent elsewhere by a link swapped in.
// The awk program and the keys reach it in the environment; the script itself is fixed.
const asUser = (user: string) => sh`setpriv ${`--reuid=${user}`} --regid="$(id -g ${user})" --init-groups --`;
const CHECK = 'awk "$FL_PROG" "$1" | cmp -s - "$1"';
const WRITE = [
  'f=$1; n="$f.forklift-new"',
  `trap 'rm -f "$n"' EXIT`,
  'umask 077',
  '[ -e "$f" ] || : >"$f"',
  // Made afresh (noclobber): never a file or link left under its name.
  'rm -f "$n"; set -C; awk "$FL_PROG" "$f" >"$n"; set +C',
  'mv -f -- "$n" "$f"',
].join('\n');

export const authorizedKeysAction = defineAction<AuthorizedKeysArgs>({
  kind: 'authorizedKeys',
  render({ user, keys, exclusive, state }) {
    const blobs = keys.map((k) => (keyBlob(k) as { blob: string }).blob).join('\n');
    const absent = state === 'absent';
    const env = exclusive
      ? sh`FL_PROG=${PROGRAMS.exclusive} FL_TEXT=${keys.map((k) => `${k}\n`).join('')}`
      : absent
        ? sh`FL_PROG=${PROGRAMS.absent} FL_BLOBS=${blobs}`
        : sh`FL_PROG=${PROGRAMS.present} FL_KEYS=${keys.join('\n')} FL_BLOBS=${blobs}`;
    const here = locate(user, absent);
    const dir: Step = {
      check: lines(here, sh`[ -d "$fl_d" ] && [ "$(stat -c '%U %a' "$fl_d")" = ${`${user} 700`} ] && [ "$(stat -c %G "$fl_d")" = "$(id -gn ${user})" ]`),
      // mkdir and chown -h never follow a link; chmod does, so the user runs it.
      apply: lines(here, raw('mkdir -p -- "$fl_d"'), sh`chown -h ${`${user}:`} -- "$fl_d"`, sh`${asUser(user)} chmod 700 -- "$fl_d"`),
    };
    const mode: Step = {
      check: lines(here, sh`[ ! -e "$fl_f" ] || [ "$(stat -c '%U %a' "$fl_f")" = ${`${user} 600`} ]`),
      apply: lines(here, sh`chown -h ${`${user}:`} -- "$fl_f"`, sh`${asUser(user)} chmod 600 -- "$fl_f"`),
    };
    const edit: Step = {
      check: lines(here, raw(absent ? '[ -e "$fl_f" ] || exit 0' : '[ -f "$fl_f" ]'), sh`${env} ${asUser(user)} sh -c ${CHECK} sh "$fl_f"`),
      apply: lines(here, sh`${env} ${asUser(user)} sh -ec ${WRITE} sh "$fl_f"`),
    };
    return absent ? [mode, edit] : [dir, mode, edit];
  },
});

/** A user's authorized_keys: these keys present (or, exclusive, only these), or absent. */
export function authorizedKeys(user: string, options: AuthorizedKeysOptions): Action<AuthorizedKeysArgs> {
  const { user: u } = parseSpec(userInput(), { user }, 'authorizedKeys');
  const o = parseSpec(keysSchema, options, `authorizedKeys ${u}`);
  const state = o.state ?? 'present';
  const exclusive = o.exclusive ?? false;
  const label = `authorizedKeys ${u}${exclusive ? ' exclusive' : ''}${state === 'absent' ? ' absent' : ''}`;
  return action(authorizedKeysAction, label, { user: u, keys: o.keys, exclusive, state });
}
