// Where the local provider keeps its state on the host. Every name carries forklift's prefix.
export const IMAGES_DIR = '/var/cache/forklift/images';
export const STATE_DIR = '/var/lib/forklift';
export const DEFAULT_LXC_PATH = `${STATE_DIR}/lxc`;
export const SSH_KEY = `${STATE_DIR}/ssh/id_ed25519`;
export const HOST_LOCK = `${STATE_DIR}/host.lock`;
export const IMAGE_LOCK = `${IMAGES_DIR}/.lock`;

export const BRIDGE = 'flbr0';
export const SUBNET = '10.77.0.0/16';
export const GATEWAY = '10.77.0.1';
export const PREFIX_LEN = 16;

/** Files the provider keeps in each container's directory (beside LXC's `config`). */
export const TAGS_FILE = 'forklift-tags.json';
export const READY_FILE = 'forklift-ready';
export const DELTA_DIR = 'delta0';
