// Container names (also the nodes' host names): fl<length of stack>-<stack>-<name>, e.g.
// fl7-webfarm-web-1a2b. The stack's length makes the split unambiguous, so distinct
// (stack, name) pairs never share a container: stack "a" with node "b-web-1" is
// fl1-a-b-web-1, stack "a-b" with node "web-1" is fl3-a-b-web-1. Names that are not
// plain lowercase, or would pass 63 characters, are shortened and get a hash of the pair
// instead: flh-<readable>-<hash>, which no plain name starts with.
// Containers made before this scheme (fl-<stack>-<name>) are found by their tags, not by name.
import { createHash } from 'node:crypto';

const MAX = 63;
const HASH_LEN = 10;

function clean(part: string): string {
  return part.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-').replace(/^-|-$/g, '');
}

const plain = (part: string) => part !== '' && clean(part) === part;

/** The start every plain container name of the stack has. */
export function containerPrefix(stack: string): string {
  return `fl${stack.length}-${stack}-`;
}

export function containerName(stack: string, name: string): string {
  const readable = `${containerPrefix(stack)}${name}`;
  if (plain(stack) && plain(name) && readable.length <= MAX) return readable;
  const hash = createHash('sha256').update(`${stack}\0${name}`).digest('hex').slice(0, HASH_LEN);
  const body = `${clean(stack)}-${clean(name)}`.slice(0, MAX - 5 - HASH_LEN).replace(/-+$/, '');
  return `flh-${body}-${hash}`;
}

/** Whether a container name is one this scheme gives to a node of `stack` (plain names only). */
export function isStackContainer(stack: string, container: string): boolean {
  return plain(stack) && container.startsWith(containerPrefix(stack)) && plain(container.slice(containerPrefix(stack).length));
}
