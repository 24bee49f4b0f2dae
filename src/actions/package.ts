// packages: every package action of a phase on a node folds into ONE apt install.
import { z } from 'zod';
import { parseSpec } from '../validate.ts';
import { sh, raw, lines } from '../shell/sh.ts';
import { action, defineAction, type Action, type Target } from './types.ts';

export interface PackagesArgs {
  names: string[];
}

const packageName = z.string().regex(/^[a-z0-9][a-z0-9+.-]*(:[a-z0-9-]+)?$/, { error: (issue) => `${JSON.stringify(issue.input)} is not a Debian package name` });

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
      // Nodes start with empty package lists, as cloud images do; refresh once when
      // there are none, and once more if the install fails on stale lists.
      raw('ls /var/lib/apt/lists/*_Packages >/dev/null 2>&1 || apt-get update -q'),
      raw('fl_apt="apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=120"'),
      raw('$fl_apt $fl_missing || { apt-get update -q && $fl_apt $fl_missing; }'),
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
