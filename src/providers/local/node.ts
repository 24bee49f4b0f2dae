// Container lifecycle of one node: define (config + tags, under the host lock), start,
// read back, destroy. A node's record is its directory under LXCPATH; its tags file is
// written first and removed last, so an interrupted create or destroy leaves a node that
// is listed (and not running), which the next converge removes.
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProviderError } from '../../errors.ts';
import type { NodeInfo, NodeState, Tags } from '../types.ts';
import { TAG } from '../types.ts';
import { allocateAddress } from './address.ts';
import { IMAGES } from './image.ts';
import { INGRESS_TAG, parseIngress } from './ingress.ts';
import { applyFirewall, removeFirewall } from './firewall.ts';
import { removeTree } from './fsutil.ts';
import { readHostKey } from './keys.ts';
import { withLock } from './lock.ts';
import { renderLxcConfig, type LxcConfigInput } from './lxcconfig.ts';
import { hasLiveMonitor } from './monitor.ts';
import { DELTA_DIR, READY_FILE, TAGS_FILE } from './paths.ts';
import type { Site } from './site.ts';
import { containerDir, parsePorts, PORTS_TAG, readAddress, readTags, writeTags } from './store.ts';

/** Tag with the engine's node name (the container name is derived, possibly hashed). */
export const NAME_TAG = 'forklift-name';

export function deltaDir(lxcPath: string, container: string): string {
  return join(containerDir(lxcPath, container), DELTA_DIR);
}

/**
 * Allocate an address and write the container's config and tags in one locked step,
 * before anything starts: an interrupted create leaves a listable, tagged node.
 */
export async function defineNode(
  site: Site,
  container: string,
  tags: Tags,
  config: Omit<LxcConfigInput, 'address' | 'delta' | 'logFile' | 'net'>,
): Promise<string> {
  const { lxcPath } = site;
  return withLock(site.hostLock, async () => {
    const dir = containerDir(lxcPath, container);
    if (existsSync(dir)) {
      const old = readTags(lxcPath, container);
      throw new ProviderError(
        'local',
        old && old[TAG.stack] === tags[TAG.stack] && old[NAME_TAG] === tags[NAME_TAG]
          ? `node ${tags[NAME_TAG]} of stack ${tags[TAG.stack]} already exists (${container})`
          : `container ${container} already exists and belongs to something else`,
      );
    }
    const address = allocateAddress(site);
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    writeTags(lxcPath, container, tags);
    mkdirSync(join(dir, DELTA_DIR), { mode: 0o755 });
    const delta = deltaDir(lxcPath, container);
    writeFileSync(join(dir, 'config'), renderLxcConfig({ ...config, address, delta, logFile: join(dir, 'lxc.log'), net: site.net }));
    return address;
  });
}

export async function startNode(site: Site, container: string): Promise<void> {
  const address = readAddress(site.lxcPath, container);
  const tags = readTags(site.lxcPath, container);
  if (!address || !tags) throw new ProviderError('local', `${container}: no config or tags`);
  await applyFirewall(site, container, address, parsePorts(tags[PORTS_TAG]), parseIngress(tags[INGRESS_TAG]));
  await site.runner.run('lxc-start', ['-P', site.lxcPath, '-n', container, '-d']);
}

export function markReady(lxcPath: string, container: string): void {
  writeFileSync(join(containerDir(lxcPath, container), READY_FILE), new Date().toISOString() + '\n');
}

/** LXC's state of a container: RUNNING, STOPPED, STARTING... ("" when LXC does not know it). */
export async function lxcState(site: Site, container: string): Promise<string> {
  const info = await site.runner.run('lxc-info', ['-P', site.lxcPath, '-n', container, '-s', '-H'], { allowFail: true });
  return info.code === 0 ? info.stdout.trim() : '';
}

export async function nodeState(site: Site, container: string): Promise<NodeState> {
  const ready = existsSync(join(containerDir(site.lxcPath, container), READY_FILE));
  // A ready node whose monitor runs is running (its destroy removes the ready mark first).
  if (ready && hasLiveMonitor(site.lxcPath, container)) return 'running';
  const state = await lxcState(site, container);
  if (state === 'RUNNING') return ready ? 'running' : 'pending';
  if (state === 'STOPPED') return ready ? 'stopped' : 'error';
  if (state === 'STARTING') return 'pending';
  return 'error';
}

/** A node as read back from its directory; undefined when it has no tags. */
export async function readNode(site: Site, container: string, privateKey: string): Promise<NodeInfo | undefined> {
  const tags = readTags(site.lxcPath, container);
  if (!tags) return undefined;
  const address = readAddress(site.lxcPath, container) ?? '';
  const hostKey = readHostKey(join(deltaDir(site.lxcPath, container), 'etc/ssh'));
  // The image this provider built the node from is its own record of the node's OS.
  const image = IMAGES.find((i) => i.id === tags[TAG.image]);
  return {
    id: container,
    name: tags[NAME_TAG] ?? container,
    group: tags[TAG.group] ?? '',
    address,
    state: await nodeState(site, container),
    tags,
    os: { family: image?.osFamily ?? 'debian', version: image?.osVersion ?? '' },
    ssh: { host: address, port: 22, user: 'root', privateKey, ...(hostKey ? { hostKey } : {}) },
  };
}

/**
 * Remove a node, in an order that a kill at any point leaves it listed and not running:
 * the ready mark goes first, then the container is stopped, its firewall removed, its
 * config and files deleted, and its tags last. Idempotent.
 */
export async function destroyContainer(site: Site, container: string): Promise<void> {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(container)) throw new ProviderError('local', `refusing odd container name ${container}`);
  const dir = containerDir(site.lxcPath, container);
  rmSync(join(dir, READY_FILE), { force: true });
  if (existsSync(join(dir, 'config'))) {
    await site.runner.run('lxc-stop', ['-P', site.lxcPath, '-n', container, '-k'], { allowFail: true });
    const state = await lxcState(site, container);
    // Its firewall stays while it runs: never leave a running node open.
    if (state !== 'STOPPED' && state !== '') throw new ProviderError('local', `${container} is still ${state} after lxc-stop; it was not removed`);
  }
  await removeFirewall(site, container);
  if (!existsSync(dir)) return;
  rmSync(join(dir, 'config'), { force: true });
  for (const entry of readdirSync(dir, { withFileTypes: true }).filter((e) => e.name !== TAGS_FILE)) {
    if (entry.isDirectory()) await removeTree(site.runner, join(dir, entry.name));
    else rmSync(join(dir, entry.name), { force: true });
  }
  rmSync(join(dir, TAGS_FILE), { force: true });
  await removeTree(site.runner, dir);
}
