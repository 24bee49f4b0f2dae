// The local provider's name and options, as a stack file gives them ({ name: 'local', ... }).
import { z } from 'zod';

export const name = 'local';

export const optionsSchema = z
  .object({
    /** Absolute LXCPATH for node containers (default /var/lib/forklift/lxc). */
    lxcPath: z.string().startsWith('/', 'must be an absolute path').optional(),
    /** How long createNode waits for SSH to answer (ms, default 60000). */
    sshTimeoutMs: z.number().int().positive().optional(),
  })
  .strict();

export type LocalProviderOptions = z.input<typeof optionsSchema>;
