// packages: every package action of a phase on a node folds into ONE apt install.
import { z } from 'zod';
import { parseSpec } from '../validate.ts';
import { sh, raw, lines } from '../shell/sh.ts';
import { action, defineAction, type Action, type Target } from './types.ts';

export interface PackagesArgs {
  names: string[];
}

const packageName = z.string().regex(/^[a-z0-9][a-z0-9+.-]*(:[a-z0-9-]+)?$/, { error: (issue) => `${JSON.stringify(issue.input)} is not a Debian package name` });

/** How long apt may wait, in all, for another apt or dpkg (unattended-upgrades, cloud-init) to finish. */
export const APT_LOCK_WAIT_S = 120;

/**
 * `fl_apt ARGS`: apt-get ARGS, waiting for apt's locks. dpkg's lock is waited for by apt-get
 * itself (DPkg::Lock::Timeout); the lists lock (`update`) and the archives lock are not, so a
 * run that failed on a lock is tried again every 2 s until the time is up. The locks are
 * fcntl locks: a holder made with flock(1) does not hold them.
 */
const APT_WAITING = `fl_until=$(( $(date +%s) + ${APT_LOCK_WAIT_S} ))
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
    // One dpkg-query for all: installed when every name reports "ii".
    const check = sh`[ "$(dpkg-query -W -f='\${db:Status-Abbrev}\n' ${args.names} 2>/dev/null | grep -c '^ii')" -eq ${args.names.length} ]`;
    const apply = lines(
      raw('fl_missing='),
      sh`for p in ${args.names}; do`,
      raw(`  dpkg-query -W -f='\${Status}' "$p" 2>/dev/null | grep -q 'ok installed$' || fl_missing="$fl_missing $p"`),
      raw('done'),
      raw(APT_WAITING),
      // Nodes start with empty package lists, as cloud images do; refresh once when
      // there are none, and once more if the install fails on stale lists.
      raw('ls /var/lib/apt/lists/*_Packages >/dev/null 2>&1 || fl_apt update -q'),
      raw('fl_apt install -y -q --no-install-recommends $fl_missing || { fl_apt update -q && fl_apt install -y -q --no-install-recommends $fl_missing; }'),
    );
    return [{ check, apply }];
  },
  aggregate(all) {
    const names = [...new Set(all.flatMap((a) => a.names))];
    return { args: { names }, label: label(names) };
  },
});

/** Install packages (Debian apt). All package actions of a phase become one install. */
export function packages(...names: Array<string | string[]>): Action<PackagesArgs> {
  const { names: list } = parseSpec(z.object({ names: z.array(packageName).min(1) }), { names: names.flat() }, 'packages');
  const unique = [...new Set(list)];
  return action(packagesAction, label(unique), { names: unique });
}

const label = (names: readonly string[]) => `packages ${names.join(' ')}`;

function requireApt(target: Target): void {
  if (!['debian', 'ubuntu'].includes(target.os.family)) {
    throw new Error(`packages: os family "${target.os.family}" is not supported (apt only)`);
  }
}
