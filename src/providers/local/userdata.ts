// cloud-init user data for a node: a cloud-config object becomes YAML under "#cloud-config".
import { createRequire } from 'node:module';
import { ProviderError } from '../../errors.ts';
import type { NodeSpec } from '../../spec/node.ts';

export const MAX_USER_DATA = 32 * 1024;

/** The user-data file text, or undefined when the spec has none. Refuses more than 32 KiB. */
export function renderUserData(spec: NodeSpec, where: string): string | undefined {
  const data = spec.userData;
  if (data === undefined) return undefined;
  // yaml is loaded only for nodes that have cloud-config user data.
  const text = typeof data === 'string' ? data : `#cloud-config\n${(createRequire(import.meta.url)('yaml') as typeof import('yaml')).stringify(data)}`;
  const size = Buffer.byteLength(text, 'utf8');
  if (size > MAX_USER_DATA)
    throw new ProviderError('local', `${where}: user data is ${size} bytes; the limit is ${MAX_USER_DATA} (32 KiB)`);
  return text;
}
