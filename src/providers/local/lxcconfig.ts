// The LXC config of one node: debian common config, unconfined, static address on the
// network's bridge with a MAC derived from the address (a reused address keeps its MAC,
// so neighbours' ARP caches stay right), hardware limits where cheap.
import { existsSync } from 'node:fs';
import type { NodeSpec } from '../../spec/node.ts';
import type { Network } from './network.ts';

export interface LxcConfigInput {
  hostname: string;
  rootfs: string;
  delta: string;
  address: string;
  logFile: string;
  net: Pick<Network, 'bridge' | 'gateway' | 'prefixLen'>;
  hardware?: NodeSpec['hardware'];
}

/** 02:00 (locally administered) and the address's four bytes. */
export function macFor(address: string): string {
  return ['02', '00', ...address.split('.').map((x) => Number(x).toString(16).padStart(2, '0'))].join(':');
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
    `lxc.net.0.link = ${input.net.bridge}`,
    'lxc.net.0.flags = up',
    'lxc.net.0.name = eth0',
    `lxc.net.0.hwaddr = ${macFor(input.address)}`,
    `lxc.net.0.ipv4.address = ${input.address}/${input.net.prefixLen}`,
    `lxc.net.0.ipv4.gateway = ${input.net.gateway}`,
    ...limitLines(input.hardware),
    '',
  ].join('\n');
}
