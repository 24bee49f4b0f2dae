// Removing trees that may still hold mounts (debootstrap mounts proc/sys in its target;
// an interrupted build can leave them): unmount first, never cross into another filesystem.
import { readFileSync } from 'node:fs';
import type { Runner } from './run.ts';

export async function removeTree(runner: Runner, dir: string): Promise<void> {
  const prefix = dir.replace(/\/+$/, '') + '/';
  const mounts = readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[1]?.replace(/\\040/g, ' '))
    .filter((m): m is string => !!m && (m + '/').startsWith(prefix))
    .sort((a, b) => b.length - a.length);
  for (const mount of mounts) await runner.run('umount', ['-l', mount], { allowFail: true });
  await runner.run('rm', ['-rf', '--one-file-system', dir]);
}
