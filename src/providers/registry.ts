// Providers by name. Each one is a folder: `options.ts` holds its name and options schema
// (small, loaded with the stack file to validate it), `index.ts` its createProvider
// (loaded only when a stack uses it). Adding a provider is adding a folder and a line here.
import type { z } from 'zod';
import * as cloudstack from './cloudstack/options.ts';
import * as hosts from './hosts/options.ts';
import * as local from './local/options.ts';
import type { Provider, ProviderContext } from './types.ts';

interface ProviderModule<S extends z.ZodType> {
  createProvider(options: z.output<S>, context: ProviderContext): Provider;
}

interface Entry<S extends z.ZodType> {
  optionsSchema: S;
  load(): Promise<ProviderModule<S>>;
}

const entry = <S extends z.ZodType>(optionsSchema: S, load: () => Promise<ProviderModule<S>>): Entry<S> => ({ optionsSchema, load });

export const PROVIDERS = {
  [local.name]: entry(local.optionsSchema, () => import('./local/index.ts')),
  [cloudstack.name]: entry(cloudstack.optionsSchema, () => import('./cloudstack/index.ts')),
  [hosts.name]: entry(hosts.optionsSchema, () => import('./hosts/index.ts')),
} as const;

export type ProviderName = keyof typeof PROVIDERS;

/** `{ name, ...options }` as a stack file names its provider; derived from each provider's schema. */
export type ProviderConfig = { [N in ProviderName]: { name: N } & z.input<(typeof PROVIDERS)[N]['optionsSchema']> }[ProviderName];
export type LocalProviderConfig = Extract<ProviderConfig, { name: 'local' }>;
export type CloudStackProviderConfig = Extract<ProviderConfig, { name: 'cloudstack' }>;
export type HostsProviderConfig = Extract<ProviderConfig, { name: 'hosts' }>;

export function isProviderName(name: unknown): name is ProviderName {
  return typeof name === 'string' && Object.hasOwn(PROVIDERS, name);
}

/** Open a provider whose options were validated against its schema (config/stack.ts does it). */
export async function openProvider(config: ProviderConfig, context: ProviderContext): Promise<Provider> {
  const { name, ...options } = config;
  const module = (await PROVIDERS[name].load()) as ProviderModule<z.ZodType>;
  return module.createProvider(options, context);
}
