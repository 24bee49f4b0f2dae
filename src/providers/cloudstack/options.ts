// The cloudstack provider's name and options; credentials default from the environment
// variables the `cs` client and CloudMonkey users already have. Never printed.
import { z } from 'zod';
import { ProviderError } from '../../errors.ts';

export const name = 'cloudstack';

const httpUrl = z.string().refine(isHttpUrl, 'must be an http:// or https:// URL, e.g. https://cloud.example/client/api');

export const optionsSchema = z
  .object({
    /** Zone name or id; default: the first zone the cloud lists. */
    zone: z.string().min(1).optional(),
    /** API URL, e.g. https://cloud.example/client/api; default $CLOUDSTACK_ENDPOINT. */
    endpoint: httpUrl.optional(),
    /** Default $CLOUDSTACK_KEY. */
    apiKey: z.string().min(1).optional(),
    /** Default $CLOUDSTACK_SECRET. Never printed, logged or put in an error. */
    secretKey: z.string().min(1).optional(),
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

export type CloudStackProviderOptions = z.input<typeof optionsSchema>;

export interface ResolvedOptions extends CloudStackProviderOptions {
  endpoint: string;
  apiKey: string;
  secretKey: string;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** Fill credentials from the environment; names what is missing or malformed, never a value. */
export function resolveOptions(options: CloudStackProviderOptions, env = process.env): ResolvedOptions {
  const endpoint = options.endpoint ?? env.CLOUDSTACK_ENDPOINT;
  const apiKey = options.apiKey ?? env.CLOUDSTACK_KEY;
  const secretKey = options.secretKey ?? env.CLOUDSTACK_SECRET;
  const missing = [
    !endpoint && 'endpoint (or $CLOUDSTACK_ENDPOINT)',
    !apiKey && 'apiKey (or $CLOUDSTACK_KEY)',
    !secretKey && 'secretKey (or $CLOUDSTACK_SECRET)',
  ].filter(Boolean);
  if (missing.length) throw new ProviderError('cloudstack', `missing credentials: ${missing.join(', ')}`);
  if (!isHttpUrl(endpoint!)) {
    const source = options.endpoint === undefined ? '$CLOUDSTACK_ENDPOINT' : 'endpoint';
    throw new ProviderError('cloudstack', `${source} ${JSON.stringify(endpoint)} is not an http:// or https:// URL (e.g. http://localhost:8080/client/api)`);
  }
  return { ...options, endpoint: endpoint!, apiKey: apiKey!, secretKey: secretKey! };
}
