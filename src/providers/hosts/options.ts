// The hosts provider's name and options: machines that already exist, each in a group.
import { z } from 'zod';

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
  })
  .strict();

export const optionsSchema = z
  .object({
    hosts: z.array(hostEntrySchema).min(1),
  })
  .strict();

export type HostEntry = z.input<typeof hostEntrySchema>;
export type HostsProviderOptions = z.input<typeof optionsSchema>;
