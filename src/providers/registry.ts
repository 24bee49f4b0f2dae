// Providers by name. Each one is a folder: `options.ts` holds its name and options schema
// (small, loaded with the stack file to validate it), `index.ts` its createProvider
// (loaded only when a stack uses it). Adding a provider is adding a folder and a line here.
import type { z } from 'zod';
import * as cloudstack from './cloudstack/options.ts';
import * as hosts from './hosts/options.ts';
import { resolveOptions as resolveHosts } from './hosts/resolve.ts';
import * as local from './local/options.ts';
import type { Provider, ProviderContext } from './types.ts';

interface ProviderModule<S extends z.ZodType> {
  createProvider(options: z.output<S>, context: ProviderContext): Provider;
}

/** What the stack's check knows besides the options: where the stack file is, its groups. */
export interface LoadContext {
  /** The stack file's folder (the current folder for a stack passed from code). */
  dir: string;
  /** The stack file, for messages. */
  where: string;
  groups: readonly string[];
}

interface Entry<S extends z.ZodType> {
  optionsSchema: S;
  /** Options that name files (an inventory) read and checked when the stack is loaded; the result checks again unchanged. */
  resolve?: (options: z.output<S>, context: LoadContext) => z.output<S>;
  load(): Promise<ProviderModule<S>>;
}

const entry = <S extends z.ZodType>(optionsSchema: S, load: () => Promise<ProviderModule<S>>, resolve?: Entry<S>['resolve']): Entry<S> => ({
  optionsSchema,
  load,
  ...(resolve ? { resolve } : {}),
});

export const PROVIDERS = {
  [local.name]: entry(local.optionsSchema, () => import('./local/index.ts')),
  [cloudstack.name]: entry(cloudstack.optionsSchema, () => import('./cloudstack/index.ts')),
  [hosts.name]: entry(hosts.optionsSchema, () => import('./hosts/index.ts'), resolveHosts),
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
