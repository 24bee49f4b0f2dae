// Node addresses: the lowest free one of the network's subnet, read from the configs of
// existing containers (in every LXCPATH on the network). Callers hold the host lock.
import { ProviderError } from '../../errors.ts';
import type { Site } from './site.ts';
import { allContainers, readAddress } from './store.ts';

function usedAddresses(site: Site): Set<string> {
  const used = new Set<string>();
  for (const path of site.lxcPaths)
    for (const c of allContainers(path)) {
      const address = readAddress(path, c);
      if (address) used.add(address);
    }
  return used;
}

/** How many more nodes fit in the subnet (its addresses not used by any container). */
export function addressCapacity(site: Site): number {
  const used = usedAddresses(site);
  let free = 0;
  for (let i = 0; i < site.net.size; i++) if (!used.has(site.net.addressAt(i))) free++;
  return free;
}

export function allocateAddress(site: Site): string {
  const used = usedAddresses(site);
  for (let i = 0; i < site.net.size; i++) {
    const address = site.net.addressAt(i);
    if (!used.has(address)) return address;
  }
  throw new ProviderError('local', `no free address left in ${site.net.subnet}`);
}
