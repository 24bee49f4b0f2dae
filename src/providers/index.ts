// Providers by name, loaded lazily so a stack only loads the provider it uses.
import { ProviderError } from '../errors.ts';
import type { Provider, ProviderLog } from './types.ts';

export interface LocalProviderConfig {
  name: 'local';
  /** Where node containers live (default /var/lib/forklift/lxc). */
  lxcPath?: string;
}

export interface CloudStackProviderConfig {
  name: 'cloudstack';
  /** Zone name or id; default: the only zone, or the first one. */
  zone?: string;
  /** API URL; default $CLOUDSTACK_ENDPOINT. */
  endpoint?: string;
  /** Default $CLOUDSTACK_KEY. */
  apiKey?: string;
  /** Default $CLOUDSTACK_SECRET. Never printed. */
  secretKey?: string;
}

export interface HostEntry {
  /** Address or host name. */
  host: string;
  group: string;
  port?: number;
  user?: string;
  /** Path to the private key; default ~/.ssh/id_ed25519. */
  privateKeyPath?: string;
  name?: string;
}

export interface HostsProviderConfig {
  name: 'hosts';
  hosts: HostEntry[];
}

export type ProviderConfig = LocalProviderConfig | CloudStackProviderConfig | HostsProviderConfig;

const loaders: Record<ProviderConfig['name'], (config: never, log: ProviderLog) => Promise<Provider>> = {
  local: async (config: LocalProviderConfig, log) => (await import('./local/index.ts')).createProvider({ ...strip(config), log }),
  cloudstack: async (config: CloudStackProviderConfig, log) => (await import('./cloudstack/index.ts')).createProvider({ ...strip(config), log }),
  hosts: async (config: HostsProviderConfig, log) => (await import('./hosts/index.ts')).createProvider({ ...strip(config), log }),
};

function strip<T extends { name: string }>(config: T): Omit<T, 'name'> {
  const { name: _name, ...rest } = config;
  return rest;
}

export async function openProvider(config: ProviderConfig, log: ProviderLog): Promise<Provider> {
  const load = loaders[config.name] as ((config: ProviderConfig, log: ProviderLog) => Promise<Provider>) | undefined;
  if (!load) throw new ProviderError(String(config.name), `unknown provider; known: ${Object.keys(loaders).join(', ')}`);
  return load(config, log);
}
