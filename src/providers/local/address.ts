// Node addresses: the lowest free one in 10.77.0.2–10.77.255.254, read from the
// configs of existing containers (in this LXCPATH and the default one: they share the
// bridge). Callers hold the host lock.
import { ProviderError } from '../../errors.ts';
import { DEFAULT_LXC_PATH } from './paths.ts';
import { allContainers, readAddress } from './store.ts';

export function allocateAddress(lxcPath: string): string {
  const used = new Set<string | undefined>();
  for (const path of new Set([lxcPath, DEFAULT_LXC_PATH]))
    for (const c of allContainers(path)) used.add(readAddress(path, c));
  for (let i = 2; i < 65535; i++) {
    const address = `10.77.${i >> 8}.${i & 255}`;
    if (!used.has(address)) return address;
  }
  throw new ProviderError('local', 'no free address left in 10.77.0.0/16');
}
