// The cloudstack provider's options; credentials default from the environment variables
// the `cs` client and CloudMonkey users already have. Never printed.
import { z } from 'zod';
import { ProviderError } from '../../errors.ts';
import type { ProviderLog } from '../types.ts';

export const cloudstackProviderOptions = z
  .object({
    /** Zone name or id; default: the first zone the cloud lists. */
    zone: z.string().min(1).optional(),
    /** API URL, e.g. https://cloud.example/client/api; default $CLOUDSTACK_ENDPOINT. */
    endpoint: z.string().url().optional(),
    /** Default $CLOUDSTACK_KEY. */
    apiKey: z.string().min(1).optional(),
    /** Default $CLOUDSTACK_SECRET. Never printed, logged or put in an error. */
    secretKey: z.string().min(1).optional(),
    log: z.custom<ProviderLog>((v) => typeof v === 'function').optional(),
    /** Where stack SSH keys live on this machine (default ~/.forklift/keys). */
    keyDir: z.string().min(1).optional(),
    /** How long createNode waits for a new VM's SSH port (ms, default 300000). */
    sshTimeoutMs: z.number().int().positive().optional(),
    /** How long to wait for one async job (ms, default 900000). */
    jobTimeoutMs: z.number().int().positive().optional(),
    /** First retry delay for 429 / transient failures (ms, default 500). */
    backoffMs: z.number().int().positive().optional(),
  })
  .strict();

export type CloudStackProviderOptions = z.input<typeof cloudstackProviderOptions>;

export interface ResolvedOptions extends z.output<typeof cloudstackProviderOptions> {
  endpoint: string;
  apiKey: string;
  secretKey: string;
}

export function resolveOptions(input: CloudStackProviderOptions, env = process.env): ResolvedOptions {
  const opts = cloudstackProviderOptions.safeParse(input);
  if (!opts.success) {
    // Name the fields, never echo their values (one of them may be the secret).
    const fields = opts.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new ProviderError('cloudstack', `invalid options: ${fields}`);
  }
  const endpoint = opts.data.endpoint ?? env.CLOUDSTACK_ENDPOINT;
  const apiKey = opts.data.apiKey ?? env.CLOUDSTACK_KEY;
  const secretKey = opts.data.secretKey ?? env.CLOUDSTACK_SECRET;
  const missing = [
    !endpoint && 'endpoint (or $CLOUDSTACK_ENDPOINT)',
    !apiKey && 'apiKey (or $CLOUDSTACK_KEY)',
    !secretKey && 'secretKey (or $CLOUDSTACK_SECRET)',
  ].filter(Boolean);
  if (missing.length) throw new ProviderError('cloudstack', `missing credentials: ${missing.join(', ')}`);
  return { ...opts.data, endpoint: endpoint!, apiKey: apiKey!, secretKey: secretKey! };
}
