// The hosts provider's name and options: machines that already exist, each in a group,
// listed in code (`hosts`) or in an Ansible-style YAML inventory file (`inventory`), or both.
import { z } from 'zod';
import { lineBlob } from '../../transport/hostkey.ts';
import { parseJump } from './jump.ts';

export const name = 'hosts';

export const GROUP_NAME = /^[a-z][a-z0-9-]{0,19}$/;
export const GROUP_NAME_RULE = 'group names are 1-20 lowercase letters, digits or dashes, starting with a letter';
export const NODE_NAME = /^[A-Za-z0-9_.-]+$/;

const jumpSchema = z.string().superRefine((v, ctx) => {
  const parsed = parseJump(v);
  if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
});

export const hostEntrySchema = z
  .object({
    /** Address or host name. */
    host: z.string().min(1),
    group: z.string().regex(GROUP_NAME, GROUP_NAME_RULE),
    port: z.number().int().min(1).max(65535).optional(),
    /** The login user (default root). */
    user: z.string().min(1).optional(),
    /**
     * Path to the private key. Default: the keys of a running ssh-agent ($SSH_AUTH_SOCK),
     * and the first of ~/.ssh/id_ed25519, id_ecdsa, id_rsa that exists and is not encrypted.
     */
    privateKeyPath: z.string().min(1).optional(),
    /** The node's name in forklift (default: host). */
    name: z.string().regex(NODE_NAME, 'letters, digits, _ . -').optional(),
    /** The host's SSH host key ("ssh-ed25519 AAAA..."), pinned as given (default: as known_hosts records it). */
    hostKey: z
      .string()
      .refine((v) => lineBlob(v) !== undefined, 'must be an OpenSSH public key line ("ssh-ed25519 AAAA...")')
      .optional(),
    /**
     * Reach the host through a jump host, as OpenSSH's ProxyJump: "[user@]host[:port]", or
     * several, comma-separated, contacted in that order. The jump's user defaults to this
     * entry's user, its key to this entry's keys; its host key is pinned as any host's.
     */
    jump: jumpSchema.optional(),
    /** Become root with `sudo -n` (default: when user is not root); false runs everything as user. */
    become: z.boolean().optional(),
    /** Where forklift keeps its state on the host: tags, pending handlers (default /var/lib/forklift). */
    stateDir: z
      .string()
      .regex(/^\/[^\0]*$/, 'must be an absolute path')
      .optional(),
    /** Variables plans read (ctx.node.vars); from an inventory, its host and group vars merged. */
    vars: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

export const optionsSchema = z
  .object({
    hosts: z.array(hostEntrySchema).optional(),
    /**
     * An Ansible-style YAML inventory (all/children/hosts/vars): a path relative to the stack
     * file's folder (to the current folder when the stack is passed from code), an absolute
     * path, or a file: URL (`new URL('./inventory.yml', import.meta.url)`). Read and checked
     * when the stack is loaded; its hosts join `hosts`.
     */
    inventory: z.union([z.string().min(1), z.instanceof(URL)]).optional(),
    /**
     * The known_hosts file forklift records hosts in when it meets them first (default
     * ~/.forklift/known_hosts). ~/.ssh/known_hosts and /etc/ssh/ssh_known_hosts are read too.
     */
    knownHosts: z.string().min(1).optional(),
  })
  .strict()
  .refine((o) => o.inventory !== undefined || (o.hosts?.length ?? 0) > 0, { message: 'list hosts, or name an inventory file', path: ['hosts'] });

export type HostEntry = z.input<typeof hostEntrySchema>;
export type HostsProviderOptions = z.input<typeof optionsSchema>;
