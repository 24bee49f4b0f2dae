// Where the local provider keeps its state on the host, by default. Every name carries
// forklift's prefix. The state folder and the network are provider options (site.ts).
export const IMAGES_DIR = '/var/cache/forklift/images';
export const IMAGE_LOCK = `${IMAGES_DIR}/.lock`;
export const STATE_DIR = '/var/lib/forklift';
export const DEFAULT_LXC_PATH = `${STATE_DIR}/lxc`;
export const SSH_KEY = `${STATE_DIR}/ssh/id_ed25519`;

/** Files the provider keeps in each container's directory (beside LXC's `config`). */
export const TAGS_FILE = 'forklift-tags.json';
export const READY_FILE = 'forklift-ready';
export const DELTA_DIR = 'delta0';
