// The LXC config of one node: debian common config, unconfined, static address on
// flbr0 with a MAC derived from the address (a reused address keeps its MAC, so
// neighbours' ARP caches stay right), hardware limits where cheap.
import { existsSync } from 'node:fs';
import type { NodeSpec } from '../../spec/node.ts';
import { BRIDGE, GATEWAY, PREFIX_LEN } from './paths.ts';

export interface LxcConfigInput {
  hostname: string;
  rootfs: string;
  delta: string;
  address: string;
  logFile: string;
  hardware?: NodeSpec['hardware'];
}

export function macFor(address: string): string {
  const [, , c, d] = address.split('.').map(Number);
  return ['02', '00', '0a', '4d', c, d].map((x) => (typeof x === 'number' ? x.toString(16).padStart(2, '0') : x)).join(':');
}

/**
 * minRam (MiB) → memory limit of exactly that size (the smallest "offering" that fits);
 * minCores → CPU weight proportional to the cores asked (a share, not a cap: nodes may
 * burst). minDisk is only checked against the host's free space (overlay has no quota).
 */
export function limitLines(hardware: NodeSpec['hardware']): string[] {
  const lines: string[] = [];
  const v1 = existsSync('/sys/fs/cgroup/memory/memory.limit_in_bytes');
  if (hardware?.minRam)
    lines.push(v1
      ? `lxc.cgroup.memory.limit_in_bytes = ${hardware.minRam * 1024 * 1024}`
      : `lxc.cgroup2.memory.max = ${hardware.minRam * 1024 * 1024}`);
  if (hardware?.minCores)
    lines.push(existsSync('/sys/fs/cgroup/cpu/cpu.shares')
      ? `lxc.cgroup.cpu.shares = ${1024 * hardware.minCores}`
      : `lxc.cgroup2.cpu.weight = ${Math.min(10000, 100 * hardware.minCores)}`);
  return lines;
}

export function renderLxcConfig(input: LxcConfigInput): string {
  return [
    '# made by forklift (local provider)',
    'lxc.include = /usr/share/lxc/config/debian.common.conf',
    'lxc.arch = linux64',
    'lxc.apparmor.profile = unconfined',
    'lxc.cgroup.relative = 1',
    `lxc.uts.name = ${input.hostname}`,
    `lxc.rootfs.path = overlay:${input.rootfs}:${input.delta}`,
    `lxc.log.file = ${input.logFile}`,
    'lxc.log.level = WARN',
    'lxc.net.0.type = veth',
    `lxc.net.0.link = ${BRIDGE}`,
    'lxc.net.0.flags = up',
    'lxc.net.0.name = eth0',
    `lxc.net.0.hwaddr = ${macFor(input.address)}`,
    `lxc.net.0.ipv4.address = ${input.address}/${PREFIX_LEN}`,
    `lxc.net.0.ipv4.gateway = ${GATEWAY}`,
    ...limitLines(input.hardware),
    '',
  ].join('\n');
}
