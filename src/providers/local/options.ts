// The local provider's name and options.
import { z } from 'zod';
import { BRIDGE_PATTERN, DEFAULT_BRIDGE, DEFAULT_SUBNET, SUBNET_PATTERN } from './network.ts';

export const name = 'local';

const absolute = z.string().startsWith('/', 'must be an absolute path');

export const optionsSchema = z
  .object({
    /** Absolute LXCPATH for node containers (default <stateDir>/lxc). */
    lxcPath: absolute.optional(),
    /** Folder of the provider's host state: containers, client key, locks (default /var/lib/forklift). */
    stateDir: absolute.optional(),
    /** Bridge the nodes are attached to, made by forklift when missing (default flbr0). */
    bridge: z.string().regex(BRIDGE_PATTERN, 'must be an interface name: 1-15 lowercase letters, digits or dashes, starting with a letter').optional(),
    /** The nodes' IPv4 subnet, NATed to the outside; the bridge takes its first address (default 10.77.0.0/16). */
    subnet: z.string().regex(SUBNET_PATTERN, 'must be an IPv4 CIDR from /16 to /28, e.g. 10.78.0.0/16').optional(),
    /** 'missing' (default): apt-get installs host packages only when one is missing; 'always': run the package step every time the host is prepared. */
    hostPackages: z.enum(['missing', 'always']).optional(),
    /** Time limits of host commands, ms, by command name (lxc-start, iptables, debootstrap, apt-get...) or `default`. A command past its limit is killed and its node fails. */
    commandTimeoutsMs: z.record(z.string().min(1), z.number().int().positive()).optional(),
    /**
     * The nodes' package cache: forklift's own apt-cacher-ng on the bridge's address, so each
     * package crosses the network once per host (default on, port 3143). `false`: nodes fetch
     * from the mirror directly and apt-cacher-ng is neither installed nor started.
     */
    packageCache: z.union([z.boolean(), z.object({ port: z.number().int().min(1).max(65535).optional() }).strict()]).optional(),
    /** How long createNode waits for SSH to answer (ms, default 60000). */
    sshTimeoutMs: z.number().int().positive().optional(),
  })
  .strict();

export type LocalProviderOptions = z.input<typeof optionsSchema>;

export { DEFAULT_BRIDGE, DEFAULT_SUBNET };
