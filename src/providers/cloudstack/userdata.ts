// Node spec user data → the base64 string deployVirtualMachine takes (at most 32 KB).
import { stringify } from 'yaml';
import { ProviderError } from '../../errors.ts';
import type { NodeSpec } from '../../spec/node.ts';

export const MAX_USERDATA_BASE64 = 32768;

/** Base64 user data, or undefined when the spec has none. Refuses more than 32 KB of base64. */
export function encodeUserData(spec: NodeSpec, where: string): string | undefined {
  const data = spec.userData;
  if (data === undefined) return undefined;
  const text = typeof data === 'string' ? data : `#cloud-config\n${stringify(data)}`;
  const encoded = Buffer.from(text, 'utf8').toString('base64');
  if (encoded.length > MAX_USERDATA_BASE64) {
    throw new ProviderError(
      'cloudstack',
      `${where}: user data is ${encoded.length} bytes in base64; CloudStack accepts at most ${MAX_USERDATA_BASE64}`,
    );
  }
  return encoded;
}
