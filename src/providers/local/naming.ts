// Container names: fl-<stack>-<name>, sanitized to a valid hostname (≤ 63 chars).
import { createHash } from 'node:crypto';

const MAX = 63;

function clean(part: string): string {
  return part.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-').replace(/^-|-$/g, '');
}

export function containerName(stack: string, name: string): string {
  const readable = `fl-${clean(stack)}-${clean(name)}`;
  const exact = clean(stack) === stack && clean(name) === name;
  if (exact && readable.length <= MAX) return readable;
  // Lossy or long: keep it readable, add a hash of the real pair so names stay distinct.
  const hash = createHash('sha256').update(`${stack}\0${name}`).digest('hex').slice(0, 8);
  return `${readable.slice(0, MAX - 9).replace(/-$/, '')}-${hash}`;
}
