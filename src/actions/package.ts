// packages: the package actions of a phase on a node fold into ONE apt install (and the
// removals into one apt remove), as long as no barrier (aptRepository, execChecked) stands
// between them. `name=version` pins a version, as apt-get takes it.
import { z } from 'zod';
import { parseSpec, schemaOnce } from '../validate.ts';
import { SpecError } from '../errors.ts';
import { sh, raw, lines, join, type Cmd } from '../shell/sh.ts';
import { action, defineAction, type Action, type Step, type Target } from './types.ts';

const packagesNamesInput = schemaOnce(() => z.object({ names: z.array(pinnedName).min(1) }));
const absentPackagesNamesInput = schemaOnce(() => z.object({ names: z.array(packageName).min(1) }));

export interface PackagesArgs {
  /** Package names, each optionally pinned: `nginx=1.22.1-9`. */
  names: string[];
}

const NAME = '[a-z0-9][a-z0-9+.-]*(?::[a-z0-9-]+)?';
const VERSION = '[A-Za-z0-9][A-Za-z0-9.+~:-]*';
const packageName = z.string().regex(new RegExp(`^${NAME}$`), { error: (issue) => `${JSON.stringify(issue.input)} is not a Debian package name` });
const pinnedName = z.string().regex(new RegExp(`^${NAME}(?:=${VERSION})?$`), { error: (issue) => `${JSON.stringify(issue.input)} is not a Debian package name (or name=version)` });

/** How long apt may wait, in all, for another apt or dpkg (unattended-upgrades, cloud-init) to finish. */
export const APT_LOCK_WAIT_S = 120;

/**
 * `fl_apt ARGS`: apt-get ARGS, waiting for apt's locks. dpkg's lock is waited for by apt-get
 * itself (DPkg::Lock::Timeout); the lists lock (`update`) and the archives lock are not, so a
 * run that failed on a lock is tried again every 2 s until the time is up. The locks are
 * fcntl locks: a holder made with flock(1) does not hold them.
 */
export const APT_WAITING = `fl_until=$(( $(date +%s) + ${APT_LOCK_WAIT_S} ))
fl_apt() {
  while :; do
    fl_left=$(( fl_until - $(date +%s) )); [ "$fl_left" -gt 0 ] || fl_left=1
    fl_rc=0; fl_out=$(apt-get -o DPkg::Lock::Timeout="$fl_left" "$@" 2>&1) || fl_rc=$?
    if [ "$fl_rc" -eq 0 ]; then printf '%s\n' "$fl_out"; return 0; fi
    case $fl_out in *'Could not get lock'*) if [ "$(date +%s)" -lt "$fl_until" ]; then sleep 2; continue; fi; fl_out="$fl_out
forklift: gave up waiting for apt's lock after ${APT_LOCK_WAIT_S} s";; esac
    printf '%s\n' "$fl_out" >&2; return "$fl_rc"
  done
}`;

export const packagesAction = defineAction<PackagesArgs>({
  kind: 'packages',
  render(args, target: Target) {
    requireApt(target);
    if (args.names.length === 0) return [];
    const { plain, pinned } = split(args.names);
    const checks: Cmd[] = [];
    // One dpkg-query for all unpinned names: installed when every name reports "ii".
    if (plain.length) checks.push(sh`[ "$(dpkg-query -W -f='\${db:Status-Abbrev}\n' ${plain} 2>/dev/null | grep -c '^ii')" -eq ${plain.length} ]`);
    // A pinned package: installed at exactly that version.
    for (const [name, version] of pinned) checks.push(sh`[ "$(dpkg-query -W -f='\${db:Status-Abbrev}\${Version}' ${name} 2>/dev/null)" = ${`ii ${version}`} ]`);
    const apply = lines(
      raw('fl_missing='),
      plain.length > 0 && sh`for p in ${plain}; do`,
      plain.length > 0 && raw(`  dpkg-query -W -f='\${Status}' "$p" 2>/dev/null | grep -q 'ok installed$' || fl_missing="$fl_missing $p"`),
      plain.length > 0 && raw('done'),
      pinned.size > 0 && sh`for p in ${[...pinned].map(([n, v]) => `${n}=${v}`)}; do`,
      pinned.size > 0 && raw(`  [ "$(dpkg-query -W -f='\${db:Status-Abbrev}\${Version}' "\${p%%=*}" 2>/dev/null)" = "ii \${p#*=}" ] || fl_missing="$fl_missing $p"`),
      pinned.size > 0 && raw('done'),
      raw(APT_WAITING),
      // Nodes start with empty package lists, as cloud images do; refresh once when
      // there are none, and once more if the install fails on stale lists.
      raw('ls /var/lib/apt/lists/*_Packages >/dev/null 2>&1 || fl_apt update -q'),
      // Naming an exact version is asking for it, also when a newer one is installed.
      raw(`fl_install="install -y -q --no-install-recommends${pinned.size ? ' --allow-downgrades' : ''}"`),
      raw('fl_apt $fl_install $fl_missing || { fl_apt update -q && fl_apt $fl_install $fl_missing; }'),
    );
    return [{ check: and(checks), apply }];
  },
  aggregate(all) {
    const names = withoutPinned([...new Set(all.flatMap((a) => a.names))]);
    return { args: { names }, label: label('packages', names) };
  },
});

export const absentPackagesAction = defineAction<PackagesArgs>({
  kind: 'absent-packages',
  render(args, target: Target): Step[] {
    requireApt(target);
    if (args.names.length === 0) return [];
    // Absent: dpkg knows nothing of it, or only its config files are left ("rc").
    return [
      {
        check: sh`! dpkg-query -W -f='\${db:Status-Abbrev}\n' ${args.names} 2>/dev/null | grep -q '^.[^nc]'`,
        apply: lines(
          raw('fl_present='),
          sh`for p in ${args.names}; do`,
          raw(`  if dpkg-query -W -f='\${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^.[^nc]'; then fl_present="$fl_present $p"; fi`),
          raw('done'),
          raw(APT_WAITING),
          raw('fl_apt remove -y -q $fl_present'),
        ),
      },
    ];
  },
  aggregate(all) {
    const names = [...new Set(all.flatMap((a) => a.names))];
    return { args: { names }, label: label('absentPackages', names) };
  },
});

/**
 * Install packages (Debian apt); `name=version` installs exactly that version (a
 * downgrade if needed). The package actions of a phase become one install.
 */
export function packages(...names: Array<string | string[]>): Action<PackagesArgs> {
  const { names: list } = parseSpec(packagesNamesInput(), { names: names.flat() }, 'packages');
  try {
    split(list);
  } catch (error) {
    throw new SpecError('packages', (error as Error).message);
  }
  const unique = withoutPinned([...new Set(list)]);
  return action(packagesAction, label('packages', unique), { names: unique });
}

/** Remove packages (apt-get remove: their config files stay, as with Ansible's apt). */
export function absentPackages(...names: Array<string | string[]>): Action<PackagesArgs> {
  const { names: list } = parseSpec(absentPackagesNamesInput(), { names: names.flat() }, 'absentPackages');
  const unique = [...new Set(list)];
  return action(absentPackagesAction, label('absentPackages', unique), { names: unique });
}

const label = (what: string, names: readonly string[]) => `${what} ${names.join(' ')}`;

/** Unpinned names, and pinned ones by name. A pin wins over the same name unpinned; two pins of one name are refused. */
function split(names: readonly string[]): { plain: string[]; pinned: Map<string, string> } {
  const pinned = new Map<string, string>();
  for (const entry of names) {
    const at = entry.indexOf('=');
    if (at < 0) continue;
    const [name, version] = [entry.slice(0, at), entry.slice(at + 1)];
    const other = pinned.get(name);
    if (other !== undefined && other !== version) throw new Error(`${name} is pinned to both ${other} and ${version}`);
    pinned.set(name, version);
  }
  return { plain: names.filter((n) => !n.includes('=') && !pinned.has(n)), pinned };
}

/** A name also given with a version is that version. */
function withoutPinned(names: string[]): string[] {
  const pinned = new Set(names.filter((n) => n.includes('=')).map((n) => n.slice(0, n.indexOf('='))));
  return names.filter((n) => n.includes('=') || !pinned.has(n));
}

const and = (checks: readonly Cmd[]): Cmd => join(checks, ' && ');

function requireApt(target: Target): void {
  if (!['debian', 'ubuntu'].includes(target.os.family)) {
    throw new Error(`packages: os family "${target.os.family}" is not supported (apt only)`);
  }
}
