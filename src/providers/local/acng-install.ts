// Installing Debian's apt-cacher-ng for the package cache without its own service: the
// package's postinst starts a system-wide instance listening on every interface (port
// 3142), which forklift does not want on an operator's host. While forklift installs it, a
// temporary policy-rc.d (only when the host has none) denies that start; once installed,
// the service is stopped (if it started anyway) and disabled, and a progress line says so.
// An apt-cacher-ng the operator installed before is theirs and left alone.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Site } from './site.ts';

export const ACNG_PACKAGE = 'apt-cacher-ng';
const POLICY = '/usr/sbin/policy-rc.d';
const MARK = '# forklift: keeps Debian\'s apt-cacher-ng service from starting while forklift installs it';
export const POLICY_SCRIPT = `#!/bin/sh\n${MARK}\ncase "$1" in apt-cacher-ng|apt-cacher-ng.service) exit 101 ;; esac\nexit 0\n`;

/** Run `install` with Debian's apt-cacher-ng service kept from starting (when the host has no policy of its own). */
export async function withServiceKeptDown<T>(install: () => Promise<T>): Promise<T> {
  const ours = () => existsSync(POLICY) && readFileSync(POLICY, 'utf8').includes(MARK);
  // A policy left by a forklift that was killed here is ours too.
  const placed = !existsSync(POLICY) || ours();
  if (placed) writeFileSync(POLICY, POLICY_SCRIPT, { mode: 0o755 });
  try {
    return await install();
  } finally {
    if (placed && ours()) rmSync(POLICY, { force: true });
  }
}

/** After forklift installed the package: Debian's own service stopped and kept from starting at boot. */
export async function disableDebianService(site: Site): Promise<void> {
  const run = (cmd: string, args: string[]) => site.runner.run(cmd, args, { allowFail: true });
  if (existsSync('/run/systemd/system')) {
    await run('systemctl', ['disable', '--now', 'apt-cacher-ng.service']);
  } else {
    await run('/etc/init.d/apt-cacher-ng', ['stop']);
    await run('update-rc.d', ['apt-cacher-ng', 'disable']);
    // The unit's enablement link, for a later boot under systemd.
    await run('deb-systemd-helper', ['disable', 'apt-cacher-ng.service']);
  }
  site.log('local: installed apt-cacher-ng for the nodes\' package cache; Debian\'s own apt-cacher-ng service (every interface, port 3142) is stopped and disabled: forklift runs its own instance on the bridge\'s address');
}
