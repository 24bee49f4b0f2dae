// Where the nodes' package cache lives and listens, per host network (package-cache.ts runs it).
import { join } from 'node:path';
import type { Network } from './network.ts';

export const ACNG = '/usr/sbin/apt-cacher-ng';
/** Next to Debian's own 3142, so an apt-cacher-ng the operator runs keeps its port. */
export const DEFAULT_PACKAGE_CACHE_PORT = 3143;
const CACHE_ROOT = '/var/cache/forklift/packages';

export interface PackageCache {
  /** Where nodes reach it: the network's gateway. */
  address: string;
  port: number;
  /** Its config folder (acng.conf), root's. */
  dir: string;
  /** Its own files: pid, socket, logs (apt-cacher.log lists every file fetched from upstream, `I`, and served, `O`). */
  varDir: string;
  pidFile: string;
  logFile: string;
  cacheDir: string;
}

export type PackageCacheSetting = boolean | { port?: number } | undefined;

/** The package cache of a network, or undefined when it is turned off. */
export function packageCacheFor(stateDir: string, net: Network, setting: PackageCacheSetting): PackageCache | undefined {
  if (setting === false) return undefined;
  const dir = join(stateDir, 'package-cache', net.bridge);
  const varDir = join(dir, 'var');
  return {
    address: net.gateway,
    port: (typeof setting === 'object' ? setting.port : undefined) ?? DEFAULT_PACKAGE_CACHE_PORT,
    dir,
    varDir,
    pidFile: join(varDir, 'pid'),
    logFile: join(varDir, 'apt-cacher.log'),
    cacheDir: join(CACHE_ROOT, net.bridge),
  };
}
