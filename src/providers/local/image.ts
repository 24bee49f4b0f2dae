// Base images: one debootstrap per OS release, built once into a temp dir, renamed into
// place atomically, then shared read-only by every node (overlay lower dir).
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { ProviderError } from '../../errors.ts';
import { tail } from '../../text.ts';
import type { NodeSpec } from '../../spec/node.ts';
import { removeTree } from './fsutil.ts';
import { withLock } from './lock.ts';
import { hostAptSources, hostCodename, mainMirror, renderSources } from './mirror.ts';
import { IMAGE_LOCK, IMAGES_DIR } from './paths.ts';
import type { Run } from './run.ts';
import type { Site } from './site.ts';

export interface ImageFacts {
  id: string;
  osFamily: string;
  osVersion: string;
  codename: string;
}

/** Images this provider can build. */
export const IMAGES: readonly ImageFacts[] = [
  { id: 'debian-12', osFamily: 'debian', osVersion: '12', codename: 'bookworm' },
];

const INCLUDE = [
  'openssh-server', 'python3', 'iproute2', 'systemd-sysv', 'dbus', 'ifupdown', 'procps',
  'curl', 'ca-certificates',
];
/** Installed with apt after debootstrap (debootstrap's own ordering fails on python3-cryptography). */
const APT_EXTRA = ['cloud-init'];

/** Keeps cloud-init from fighting the node (see local-nodes.md). */
export const CLOUD_CFG = `# forklift: local nodes
datasource_list: [ NoCloud, None ]
network: {config: disabled}
ssh_deletekeys: false
ssh_genkeytypes: [ed25519, ecdsa]
users: []
disable_root: false
locale: false
`;

function describe(image: ImageFacts): string {
  return `${image.osFamily} ${image.osVersion} (${image.id})`;
}

/** The image matching a node spec, or a ProviderError naming what exists. */
export function resolveImage(spec: NodeSpec): ImageFacts {
  const want = spec.image ?? {};
  // The node spec's schema checked the expression.
  const pattern = want.osVersionMatches ? new RegExp(want.osVersionMatches) : undefined;
  const found = IMAGES.find((image) =>
    want.imageId
      ? image.id === want.imageId
      : (!want.osFamily || image.osFamily === want.osFamily.toLowerCase()) &&
        (!pattern || pattern.test(image.osVersion)),
  );
  if (found) return found;
  const asked = want.imageId
    ? `imageId=${want.imageId}`
    : `osFamily=${want.osFamily ?? '*'} osVersionMatches=${want.osVersionMatches ?? '*'}`;
  throw new ProviderError('local', `no image matches ${asked}; available: ${IMAGES.map(describe).join(', ')}`);
}

export function imageRootfs(image: ImageFacts): string {
  return join(IMAGES_DIR, image.id, 'rootfs');
}

/** Build the image unless it is cached (the host is prepared: debootstrap is there); returns its rootfs path. */
export async function ensureImage(image: ImageFacts, site: Site): Promise<string> {
  const rootfs = imageRootfs(image);
  if (existsSync(rootfs)) return rootfs;
  return withLock(IMAGE_LOCK, async () => {
    if (existsSync(rootfs)) return rootfs; // another process built it meanwhile
    await build(image, site);
    return rootfs;
  });
}

async function build(image: ImageFacts, site: Site): Promise<void> {
  const { log, runner } = site;
  const run = runner.run;
  mkdirSync(IMAGES_DIR, { recursive: true });
  for (const stale of readdirSync(IMAGES_DIR).filter((n) => n.startsWith('.build-')))
    await removeTree(runner, join(IMAGES_DIR, stale));
  const tmp = join(IMAGES_DIR, `.build-${image.id}-${process.pid}`);
  const root = join(tmp, 'rootfs');
  const sources = hostAptSources();
  const hostCode = hostCodename();
  const mirror = mainMirror(sources, hostCode);
  const started = Date.now();
  log(`local: building base image ${describe(image)} with debootstrap (once, ~2 min)`);
  try {
    mkdirSync(tmp, { recursive: true });
    await run('debootstrap', ['--variant=minbase', `--include=${INCLUDE.join(',')}`, image.codename, root, mirror]);
    rmSync(join(root, 'etc/apt/sources.list'), { force: true });
    writeFileSync(join(root, 'etc/apt/sources.list.d/debian.sources'), renderSources(sources, hostCode, image.codename));
    await aptInChroot(run, root, ['update', '-q']);
    await aptInChroot(run, root, ['install', '-y', '-q', '--no-install-recommends', ...APT_EXTRA]);
    await run('chroot', [root, 'apt-get', 'clean']);
    emptyDir(join(root, 'var/lib/apt/lists'), ['partial', 'lock']);
    for (const key of readdirSync(join(root, 'etc/ssh')).filter((n) => n.startsWith('ssh_host_')))
      rmSync(join(root, 'etc/ssh', key));
    writeFileSync(join(root, 'etc/machine-id'), '');
    rmSync(join(root, 'var/lib/dbus/machine-id'), { force: true });
    writeFileSync(join(root, 'etc/cloud/cloud.cfg.d/90-forklift.cfg'), CLOUD_CFG);
    writeFileSync(join(tmp, 'facts.json'), JSON.stringify({ ...image, mirror, builtAt: new Date().toISOString() }, null, 2));
    renameSync(tmp, join(IMAGES_DIR, image.id));
  } catch (err) {
    const logFile = join(root, 'debootstrap/debootstrap.log');
    const detail = existsSync(logFile) ? `\n${tail(readFileSync(logFile, 'utf8'), 15)}` : '';
    await removeTree(runner, tmp);
    if (detail && err instanceof Error) err.message += detail;
    throw err;
  }
  log(`local: base image ${image.id} ready in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

/** apt-get inside the build root, with /proc mounted and services kept from starting. */
async function aptInChroot(run: Run, root: string, args: string[]): Promise<void> {
  const policy = join(root, 'usr/sbin/policy-rc.d');
  writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  await run('mount', ['-t', 'proc', 'proc', join(root, 'proc')]);
  try {
    await run('chroot', [root, 'apt-get', ...args]);
  } finally {
    await run('umount', ['-l', join(root, 'proc')], { allowFail: true });
    rmSync(policy, { force: true });
  }
}

function emptyDir(dir: string, keep: string[]): void {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) if (!keep.includes(name)) rmSync(join(dir, name), { recursive: true, force: true });
}

/** Facts of the cached images (for diagnostics). */
export function cachedImages(): ImageFacts[] {
  return IMAGES.filter((image) => existsSync(imageRootfs(image))).map(
    (image) => JSON.parse(readFileSync(join(IMAGES_DIR, image.id, 'facts.json'), 'utf8')) as ImageFacts,
  );
}
