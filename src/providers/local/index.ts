// The local provider: real Debian nodes on this machine (LXC on overlay clones of a cached
// image, a firewall per node, cloud-init user data). Its public API is what this file
// exports; the CloudStack-compatible endpoint builds on it and on nothing else.
export { name, optionsSchema, type LocalProviderOptions } from './options.ts';
export { createProvider, type LocalCreateNodeRequest, type LocalLimits, type LocalProvider } from './provider.ts';
/** Images the provider can build, and how a node spec picks one. */
export { IMAGES, resolveImage, type ImageFacts } from './image.ts';
/** Tags the provider keeps beside each container: the node's name in its stack, its open ports. */
export { NAME_TAG } from './node.ts';
export { PORTS_TAG } from './store.ts';
/** Ingress rules (a cloud's security group) for setIngress, and the tag that records them. */
export { INGRESS_TAG, type IngressRule } from './ingress.ts';
/** Host objects a node owns, by the names the provider gives them (for tests and clean-up by name). */
export { chainName, inputChain } from './firewall.ts';
/** The nodes' package cache of a network (where it lives and listens), and its removal. */
export { packageCacheFor, DEFAULT_PACKAGE_CACHE_PORT, type PackageCache } from './package-cache-paths.ts';
export { removePackageCache } from './package-cache.ts';
export { containerName, containerPrefix } from './naming.ts';
export { SSH_KEY, DEFAULT_LXC_PATH, STATE_DIR } from './paths.ts';
export { DEFAULT_BRIDGE, DEFAULT_SUBNET, network, type Network } from './network.ts';
export { DEFAULT_TIMEOUTS } from './run.ts';
/** A node's MAC address, fixed by its IPv4 address. */
export { macFor } from './lxcconfig.ts';
