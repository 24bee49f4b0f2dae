// The cloudstack provider: groups of VMs on an Apache CloudStack cloud, and its API client.
export { name, optionsSchema, type CloudStackProviderOptions } from './options.ts';
export { createProvider, encodeUserData } from './provider.ts';
export { CloudStackClient, type ClientOptions } from './client.ts';
export { CloudStackError } from './errors.ts';
/** Request signing, shared by the client and the CloudStack-compatible endpoint. */
export { signRequest, signature, canonicalString, javaUrlEncode, type Params } from './sign.ts';
