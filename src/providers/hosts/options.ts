// The hosts provider's name and options: machines that already exist, each in a group.
import { z } from 'zod';
import { lineBlob } from '../../transport/hostkey.ts';

export const name = 'hosts';

export const hostEntrySchema = z
  .object({
    /** Address or host name. */
    host: z.string().min(1),
    group: z.string().regex(/^[a-z][a-z0-9-]{0,19}$/, 'group names are 1-20 lowercase letters, digits or dashes, starting with a letter'),
    port: z.number().int().min(1).max(65535).optional(),
    user: z.string().min(1).optional(),
    /** Path to the private key; default ~/.ssh/id_ed25519. */
    privateKeyPath: z.string().min(1).optional(),
    /** The node's name in forklift (default: host). */
    name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . -').optional(),
    /** The host's SSH host key ("ssh-ed25519 AAAA..."), pinned as given (default: as known_hosts records it). */
    hostKey: z
      .string()
      .refine((v) => lineBlob(v) !== undefined, 'must be an OpenSSH public key line ("ssh-ed25519 AAAA...")')
      .optional(),
  })
  .strict();

export const optionsSchema = z
  .object({
    hosts: z.array(hostEntrySchema).min(1),
    /**
     * The known_hosts file forklift records hosts in when it meets them first (default
     * ~/.forklift/known_hosts). ~/.ssh/known_hosts and /etc/ssh/ssh_known_hosts are read too.
     */
    knownHosts: z.string().min(1).optional(),
  })
  .strict();

export type HostEntry = z.input<typeof hostEntrySchema>;
export type HostsProviderOptions = z.input<typeof optionsSchema>;
