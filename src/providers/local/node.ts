// Container lifecycle of one node: define (config + tags, under the host lock), start,
// read back, destroy. A node's record is its directory under LXCPATH.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
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
import { DELTA_DIR, HOST_LOCK, READY_FILE } from './paths.ts';
import { run } from './run.ts';
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
  lxcPath: string,
  container: string,
  tags: Tags,
  config: Omit<LxcConfigInput, 'address' | 'delta' | 'logFile'>,
): Promise<string> {
  return withLock(HOST_LOCK, async () => {
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
    const address = allocateAddress(lxcPath);
    mkdirSync(join(dir, DELTA_DIR), { recursive: true, mode: 0o755 });
    writeTags(lxcPath, container, tags);
    const delta = deltaDir(lxcPath, container);
    writeFileSync(join(dir, 'config'), renderLxcConfig({ ...config, address, delta, logFile: join(dir, 'lxc.log') }));
    return address;
  });
}

export async function startNode(lxcPath: string, container: string): Promise<void> {
  const address = readAddress(lxcPath, container);
  const tags = readTags(lxcPath, container);
  if (!address || !tags) throw new ProviderError('local', `${container}: no config or tags`);
  await applyFirewall(container, address, parsePorts(tags[PORTS_TAG]), parseIngress(tags[INGRESS_TAG]));
  await run('lxc-start', ['-P', lxcPath, '-n', container, '-d']);
}

export function markReady(lxcPath: string, container: string): void {
  writeFileSync(join(containerDir(lxcPath, container), READY_FILE), new Date().toISOString() + '\n');
}

export async function nodeState(lxcPath: string, container: string): Promise<NodeState> {
  const info = await run('lxc-info', ['-P', lxcPath, '-n', container, '-s', '-H'], { allowFail: true });
  const lxcState = info.stdout.trim();
  const ready = existsSync(join(containerDir(lxcPath, container), READY_FILE));
  if (lxcState === 'RUNNING') return ready ? 'running' : 'pending';
  if (lxcState === 'STOPPED') return ready ? 'stopped' : 'error';
  if (lxcState === 'STARTING') return 'pending';
  return 'error';
}

/** A node as read back from its directory; undefined when it has no tags. */
export async function readNode(lxcPath: string, container: string, privateKey: string): Promise<NodeInfo | undefined> {
  const tags = readTags(lxcPath, container);
  if (!tags) return undefined;
  const address = readAddress(lxcPath, container) ?? '';
  const hostKey = readHostKey(join(deltaDir(lxcPath, container), 'etc/ssh'));
  // The image this provider built the node from is its own record of the node's OS.
  const image = IMAGES.find((i) => i.id === tags[TAG.image]);
  return {
    id: container,
    name: tags[NAME_TAG] ?? container,
    group: tags[TAG.group] ?? '',
    address,
    state: await nodeState(lxcPath, container),
    tags,
    os: { family: image?.osFamily ?? 'debian', version: image?.osVersion ?? '' },
    ssh: { host: address, port: 22, user: 'root', privateKey, ...(hostKey ? { hostKey } : {}) },
  };
}

/** Stop (kill), destroy, drop the firewall chain and the directory. Idempotent. */
export async function destroyContainer(lxcPath: string, container: string): Promise<void> {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(container)) throw new ProviderError('local', `refusing odd container name ${container}`);
  const dir = containerDir(lxcPath, container);
  if (existsSync(join(dir, 'config'))) {
    await run('lxc-stop', ['-P', lxcPath, '-n', container, '-k'], { allowFail: true });
    await run('lxc-destroy', ['-P', lxcPath, '-n', container, '-f'], { allowFail: true });
  }
  await removeFirewall(container);
  if (existsSync(dir)) await removeTree(dir);
}
