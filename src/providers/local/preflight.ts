// What the local provider needs of this machine before it touches anything, checked the
// way lxc-checkconfig checks it (minimally), so a missing piece is one line saying what to
// do rather than a failing command deep inside a create.
import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ProviderError } from '../../errors.ts';

/** Root: LXC, iptables and the state folder need it. */
export function requireRoot(euid = process.geteuid?.()): void {
  if (euid !== undefined && euid !== 0) throw new ProviderError('local', 'the local provider needs root (it runs LXC and iptables): run forklift with sudo');
}

/** Namespaces a container is made of: /proc/self/ns/<name> exists when the kernel has them. */
const NAMESPACES: Array<[ns: string, what: string, config: string]> = [
  ['mnt', 'mount namespaces', 'CONFIG_NAMESPACES'],
  ['uts', 'UTS namespaces', 'CONFIG_UTS_NS'],
  ['ipc', 'IPC namespaces', 'CONFIG_IPC_NS'],
  ['pid', 'PID namespaces', 'CONFIG_PID_NS'],
  ['net', 'network namespaces', 'CONFIG_NET_NS'],
];
/** Kernel options read from the kernel's config, when it is readable (built in or a module). */
const OPTIONS: Array<[config: string, what: string]> = [
  ['CONFIG_CGROUPS', 'control groups'],
  ['CONFIG_VETH', 'virtual ethernet pairs'],
  ['CONFIG_BRIDGE', 'network bridges'],
  ['CONFIG_OVERLAY_FS', 'the overlay filesystem'],
];

/**
 * What this kernel lacks for LXC containers, as "what (CONFIG_X)"; empty when nothing is
 * known to be missing. `root` is `/` but for tests. Namespaces and cgroups are read from
 * /proc; the rest from /proc/config.gz or /boot/config-<release>, and not checked when
 * neither is readable (as lxc-checkconfig says it cannot tell).
 */
export function missingKernelFeatures(root = '/', kernelRelease = release()): string[] {
  const missing: string[] = [];
  for (const [ns, what, config] of NAMESPACES) if (!existsSync(join(root, 'proc/self/ns', ns))) missing.push(`${what} (${config})`);
  const filesystems = read(join(root, 'proc/filesystems')) ?? '';
  const cgroups = /\tcgroup2?$/m.test(filesystems) && existsSync(join(root, 'proc/self/cgroup'));
  if (!cgroups) missing.push('control groups (CONFIG_CGROUPS)');
  const config = kernelConfig(root, kernelRelease);
  if (config) {
    for (const [option, what] of OPTIONS) {
      if (option === 'CONFIG_CGROUPS' && !cgroups) continue;
      if (!new RegExp(`^${option}=[ym]$`, 'm').test(config)) missing.push(`${what} (${option})`);
    }
  }
  return missing;
}

export function requireLxcSupport(root = '/'): void {
  const missing = missingKernelFeatures(root);
  if (missing.length) {
    throw new ProviderError('local', `this kernel lacks what LXC containers need: ${missing.join(', ')}; run lxc-checkconfig for the details, or use the hosts or cloudstack provider on this machine`);
  }
}

function kernelConfig(root: string, kernelRelease: string): string | undefined {
  const gz = join(root, 'proc/config.gz');
  if (existsSync(gz)) {
    try {
      return gunzipSync(readFileSync(gz)).toString('utf8');
    } catch {
      // unreadable: try /boot
    }
  }
  return read(join(root, 'boot', `config-${kernelRelease}`));
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
