// A node spec's user data as cloud-init reads it: a cloud-config object becomes YAML under
// "#cloud-config", a string is taken as written. Every provider sends it through here, with
// the limit its cloud applies (CloudStack counts the base64 form).
import { createRequire } from 'node:module';
import { ProviderError } from '../../errors.ts';
import type { NodeSpec } from '../../spec/node.ts';

/** cloud-init's and CloudStack's limit on user data. */
export const MAX_USER_DATA = 32 * 1024;

export interface UserDataLimit {
  provider: string;
  /** How the cloud measures it: the text's bytes, or its base64. */
  measure: 'bytes' | 'base64';
}

/** The user-data text, or undefined when the spec has none. Refuses more than 32 KiB as the cloud measures it. */
export function renderUserData(spec: NodeSpec, limit: UserDataLimit): string | undefined {
  const data = spec.userData;
  if (data === undefined) return undefined;
  // yaml is loaded only for nodes that have cloud-config user data.
  const text = typeof data === 'string' ? data : `#cloud-config\n${(createRequire(import.meta.url)('yaml') as typeof import('yaml')).stringify(data)}`;
  const bytes = Buffer.byteLength(text, 'utf8');
  const size = limit.measure === 'base64' ? 4 * Math.ceil(bytes / 3) : bytes;
  if (size > MAX_USER_DATA) {
    throw new ProviderError(limit.provider, `user data is ${size} bytes${limit.measure === 'base64' ? ' in base64' : ''}; the limit is ${MAX_USER_DATA} (32 KiB)`);
  }
  return text;
}
