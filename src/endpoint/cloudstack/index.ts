// A CloudStack-compatible API on this machine whose VMs are real local nodes: for testing
// CloudStack automation offline, whatever client drives it. Built on the local provider's
// public API only.
export { startEndpoint, type Endpoint, type EndpointOptions } from './server.ts';
export { loadCredentials, saveCredentials, type EndpointCredentials } from './credentials.ts';
export { faultsSchema, type Faults } from './faults.ts';
export { localBackend, localNodeName, type CreateVm, type Hardware, type IngressRule, type NodeBackend, type NodePower } from './backend.ts';
/** Every command the endpoint answers, by its API name. */
export { COMMANDS } from './commands/index.ts';
export { CLOUDSTACK_VERSION } from './catalog.ts';
export { EndpointError } from './errors.ts';
export { MAX_BODY_BYTES } from './body.ts';
export { MAX_EXPIRES_AHEAD_MS } from './auth.ts';
