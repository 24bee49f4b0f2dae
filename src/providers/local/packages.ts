// Host packages the local provider needs, installed with apt-get when missing.
import { existsSync } from 'node:fs';
import type { ProviderLog } from '../types.ts';
import { run } from './run.ts';

/** Debian package → a file it ships, to check presence without asking dpkg. */
const NEEDED: Record<string, string> = {
  lxc: '/usr/bin/lxc-start',
  // Only recommended by lxc, and skipped by --no-install-recommends, but node configs
  // include its debian.common.conf.
  'lxc-templates': '/usr/share/lxc/config/debian.common.conf',
  iproute2: '/usr/sbin/ip',
  'util-linux': '/usr/bin/flock',
  debootstrap: '/usr/sbin/debootstrap',
  iptables: '/usr/sbin/iptables',
  'openssh-client': '/usr/bin/ssh-keygen',
};

export async function ensureHostPackages(log: ProviderLog): Promise<void> {
  const missing = Object.entries(NEEDED)
    .filter(([, file]) => !existsSync(file))
    .map(([pkg]) => pkg);
  if (missing.length === 0) return;
  log(`local: installing host packages ${missing.join(' ')} (apt-get, once)`);
  await run('apt-get', ['update', '-q']);
  await run('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...missing]);
  log('local: host packages installed');
}
