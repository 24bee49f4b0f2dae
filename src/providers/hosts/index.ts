// The hosts provider: machines that already exist, reached over SSH.
export { name, optionsSchema, type HostEntry, type HostsProviderOptions } from './options.ts';
export { createProvider, parseOsRelease } from './provider.ts';
