// The local provider: LXC nodes on this machine.
export { createProvider, localProviderOptions } from './provider.ts';
export type { LocalCreateNodeRequest, LocalProvider, LocalProviderOptions } from './provider.ts';
export { IMAGES, resolveImage, type ImageFacts } from './image.ts';
export { PORTS_TAG } from './store.ts';
export { NAME_TAG } from './node.ts';
export { chainName } from './firewall.ts';
export { containerName } from './naming.ts';
export { SSH_KEY, DEFAULT_LXC_PATH, BRIDGE, GATEWAY } from './paths.ts';
