// Node addresses: the lowest free one in 10.77.0.2–10.77.255.254, read from the
// configs of existing containers (in this LXCPATH and the default one: they share the
// bridge). Callers hold the host lock.
import { ProviderError } from '../../errors.ts';
import { DEFAULT_LXC_PATH } from './paths.ts';
import { allContainers, readAddress } from './store.ts';

const FIRST = 2;
const LAST = 65534;

function usedAddresses(lxcPath: string): Set<string | undefined> {
  const used = new Set<string | undefined>();
  for (const path of new Set([lxcPath, DEFAULT_LXC_PATH]))
    for (const c of allContainers(path)) used.add(readAddress(path, c));
  return used;
}

/** How many more nodes fit in the subnet (its addresses not used by any container). */
export function addressCapacity(lxcPath: string): number {
  return LAST - FIRST + 1 - [...usedAddresses(lxcPath)].filter(Boolean).length;
}

export function allocateAddress(lxcPath: string): string {
  const used = usedAddresses(lxcPath);
  for (let i = FIRST; i <= LAST; i++) {
    const address = `10.77.${i >> 8}.${i & 255}`;
    if (!used.has(address)) return address;
  }
  throw new ProviderError('local', 'no free address left in 10.77.0.0/16');
}
