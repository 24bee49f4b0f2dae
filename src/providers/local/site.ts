// One local provider's view of this host: where its state lives, which network its nodes
// are on, how it runs host commands. Built once from the provider's options and passed to
// every part (two providers with other options in one process do not share any of it).
import { join } from 'node:path';
import type { ProviderLog } from '../types.ts';
import { network, type Network } from './network.ts';
import type { LocalProviderOptions } from './options.ts';
import { packageCacheFor, type PackageCache } from './package-cache-paths.ts';
import { STATE_DIR } from './paths.ts';
import { createRunner, type Runner } from './run.ts';

export interface Site {
  stateDir: string;
  /** LXCPATH of this provider's containers. */
  lxcPath: string;
  /** Every LXCPATH whose containers share the network (addresses are allocated across them). */
  lxcPaths: string[];
  /** Serializes host preparation, address allocation and tag writes across processes. */
  hostLock: string;
  /** Operator locks of stacks: <stack>.lock and its .holder note. */
  locksDir: string;
  /** forklift's client key for root on every node. */
  sshKey: string;
  net: Network;
  runner: Runner;
  log: ProviderLog;
  /** 'always': run the host package step (apt-get) even when every package is present. */
  hostPackages: 'missing' | 'always';
  /** The nodes' package cache on this network; undefined when turned off. */
  packageCache: PackageCache | undefined;
}

export function siteFor(opts: LocalProviderOptions, log: ProviderLog): Site {
  const stateDir = opts.stateDir ?? STATE_DIR;
  const ownLxcPath = join(stateDir, 'lxc');
  const lxcPath = opts.lxcPath ?? ownLxcPath;
  const net = network(opts.bridge, opts.subnet);
  return {
    stateDir,
    lxcPath,
    lxcPaths: [...new Set([lxcPath, ownLxcPath])],
    hostLock: join(stateDir, 'host.lock'),
    locksDir: join(stateDir, 'locks'),
    sshKey: join(stateDir, 'ssh', 'id_ed25519'),
    net,
    runner: createRunner(opts.commandTimeoutsMs),
    log,
    hostPackages: opts.hostPackages ?? 'missing',
    packageCache: packageCacheFor(stateDir, net, opts.packageCache),
  };
}

/** Sites that prepare the same host objects (and so prepare once per process, together). */
export function preparationKey(site: Site): string {
  return JSON.stringify([site.net.bridge, site.net.subnet, site.stateDir, site.lxcPath, site.hostPackages, site.packageCache?.port ?? false]);
}
