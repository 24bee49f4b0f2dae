// Host packages the local provider needs, installed with apt-get when missing (or, with
// hostPackages: 'always', every time the host is prepared). apt waits for its own lock:
// another apt (unattended-upgrades on a fresh machine) makes forklift wait, not fail.
// With the package cache on, apt-cacher-ng is one of them (acng-install.ts).
import { existsSync } from 'node:fs';
import { ProviderError } from '../../errors.ts';
import { tail } from '../../text.ts';
import { ACNG_PACKAGE, disableDebianService, withServiceKeptDown } from './acng-install.ts';
import { aptLockHolder } from './aptlock.ts';
import { ACNG } from './package-cache-paths.ts';
import type { Site } from './site.ts';

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

const POLL_MS = 1_000;

export async function ensureHostPackages(site: Site): Promise<void> {
  const needed: Record<string, string> = site.packageCache ? { ...NEEDED, [ACNG_PACKAGE]: ACNG } : NEEDED;
  const missing = Object.entries(needed)
    .filter(([, file]) => !existsSync(file))
    .map(([pkg]) => pkg);
  if (missing.length === 0 && site.hostPackages !== 'always') return;
  const packages = missing.length ? missing : Object.keys(needed);
  site.log(
    missing.length
      ? `local: installing host packages ${missing.join(' ')} (apt-get, once)`
      : `local: running the host package step for ${packages.join(' ')} (apt-get; hostPackages: always)`,
  );
  const deadline = Date.now() + site.runner.limit('apt-get');
  await apt(site, ['update'], deadline);
  // --no-upgrade: forklift installs what is missing and never upgrades the host's packages.
  const install = () => apt(site, ['install', '-y', '--no-install-recommends', '--no-upgrade', ...packages], deadline);
  if (missing.includes(ACNG_PACKAGE)) {
    await withServiceKeptDown(install);
    await disableDebianService(site);
  } else await install();
  site.log('local: host packages ready');
}

/** apt-get ARGS, waiting (until `deadline`) while another process holds apt's locks. */
async function apt(site: Site, args: string[], deadline: number): Promise<void> {
  const what = `apt-get ${args[0]}`;
  let waitingFor: number | undefined;
  for (;;) {
    const holder = aptLockHolder();
    if (holder) {
      if (waitingFor !== holder.pid) site.log(`local: waiting for apt's lock ${holder.path}, held by process ${holder.pid} (${holder.command})`);
      waitingFor = holder.pid;
      if (Date.now() + POLL_MS > deadline) throw new ProviderError('local', `${what}: apt's lock ${holder.path} was still held by process ${holder.pid} (${holder.command}) after ${site.runner.limit('apt-get') / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      continue;
    }
    const left = Math.max(1_000, deadline - Date.now());
    const r = await site.runner.run('apt-get', ['-q', '-o', `DPkg::Lock::Timeout=${Math.ceil(left / 1000)}`, ...args], { allowFail: true, timeoutMs: left });
    if (r.code === 0) return;
    // Another apt took its lock between our look and apt-get's (LC_ALL=C: apt's own words): wait again.
    const lostRace = /Could not get lock|Unable to lock/.test(r.stderr) && Date.now() + POLL_MS < deadline;
    if (!lostRace) throw new ProviderError('local', `apt-get ${args.join(' ')} exited with ${r.code}: ${tail(r.stderr || r.stdout, 5)}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
