// The cloudstack provider, its client, and a CloudStack-compatible endpoint backed by local nodes.
export { createProvider } from './provider.ts';
export { cloudstackProviderOptions, type CloudStackProviderOptions } from './options.ts';
export { CloudStackClient, type ClientOptions } from './client.ts';
export { CloudStackError } from './errors.ts';
export { signRequest, signature, canonicalString, javaUrlEncode } from './sign.ts';
export { startEndpoint, type Endpoint, type EndpointOptions } from './endpoint/server.ts';
export { faultsSchema, type Faults } from './endpoint/faults.ts';
