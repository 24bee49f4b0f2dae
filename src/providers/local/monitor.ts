// Whether a container's LXC monitor runs, without a command per container: the monitor of a
// running (or starting, or stopping) container listens on the abstract socket
// `@<lxcpath>/<name>/command`, which /proc/net/unix lists. Listing a stack of N nodes then
// costs one read instead of N `lxc-info` processes (~30 ms for 5 nodes, more with many).
// Only a positive answer is trusted; without the socket, lxc-info decides.
import { readFileSync } from 'node:fs';

export function hasLiveMonitor(lxcPath: string, container: string): boolean {
  let table: string;
  try {
    table = readFileSync('/proc/net/unix', 'utf8');
  } catch {
    return false;
  }
  const name = ` @${lxcPath.replace(/\/+$/, '')}/${container}/command`;
  // LXC binds the name's own length; a binder that pads sun_path shows its NULs as '@'.
  return table.includes(`${name}\n`) || table.includes(`${name}@`);
}
