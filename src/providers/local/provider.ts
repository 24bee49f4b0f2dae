// The local provider: nodes are LXC containers on this machine, on a bridge and subnet of
// their own (options: bridge, subnet, stateDir), behind a firewall per node.
import { existsSync, readFileSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { cpus, totalmem } from 'node:os';
import { ProviderError } from '../../errors.ts';
import { inboundPorts, type NodeSpec } from '../../spec/node.ts';
import { tail } from '../../text.ts';
import { renderUserData } from '../shared/userdata.ts';
import { waitForSsh } from '../shared/ssh-wait.ts';
import { TAG, type CreateNodeRequest, type NodeInfo, type Provider, type ProviderContext, type Tags } from '../types.ts';
import { addressCapacity } from './address.ts';
import { aptProxyFiles } from './apt-proxy.ts';
import { writeDelta } from './delta.ts';
import { applyFirewall } from './firewall.ts';
import { ensureImage, resolveImage } from './image.ts';
import { checkIngress, encodeIngress, INGRESS_TAG, parseIngress, type IngressRule } from './ingress.ts';
import { ensureClientKey } from './keys.ts';
import { freshLists } from './lists.ts';
import { withLock } from './lock.ts';
import { aptSourcesIn, httpOrigins } from './mirror.ts';
import { containerName } from './naming.ts';
import { defineNode, deltaDir, destroyContainer, markReady, NAME_TAG, readNode, startNode } from './node.ts';
import { isRunning, setLimits, stopContainer, writeAuthorizedKeys } from './power.ts';
import type { LocalProviderOptions } from './options.ts';
import { requireRoot } from './preflight.ts';
import { reviveIfStopped } from './package-cache.ts';
import { ready } from './ready.ts';
import { siteFor } from './site.ts';
import { stackLock } from './stacklock.ts';
import { containerDir, parsePorts, PORTS_TAG, readAddress, readTags, taggedContainers, untaggedContainers, writeTags } from './store.ts';

const USER_DATA_LIMIT = { provider: 'local', measure: 'bytes' } as const;

/** createNode's request, plus public keys to authorize for root besides forklift's own. */
export interface LocalCreateNodeRequest extends CreateNodeRequest {
  authorizedKeys?: string[];
  /** false: make the node (files, address, firewall rules) but do not boot it; startNode boots it. Default true. */
  start?: boolean;
}

/** The limits setLimits sets: minCores → a CPU weight, minRam (MiB) → a memory limit, as createNode's hardware. */
export type LocalLimits = Pick<NonNullable<NodeSpec['hardware']>, 'minCores' | 'minRam'>;

/**
 * The local provider's API: a Provider, plus what machinery built on local nodes (the
 * CloudStack-compatible endpoint) needs. Everything here is public and kept stable.
 */
export interface LocalProvider extends Provider {
  /** Create a node; `req.authorizedKeys` are authorized for root besides forklift's own key. */
  createNode(req: LocalCreateNodeRequest, signal?: AbortSignal): Promise<NodeInfo>;
  /** Replace a node's inbound TCP ports (its security group) and record them in its tags. */
  setInboundPorts(node: Pick<NodeInfo, 'id'>, ports: number[]): Promise<void>;
  /**
   * Replace a node's ingress rules (protocol, source CIDR, port range or ICMP type; see
   * ingress.ts) and record them in its tags. The node then accepts what they allow, its
   * inbound ports, forklift's SSH from the host and replies, nothing else (ICMP included).
   */
  setIngress(node: Pick<NodeInfo, 'id'>, rules: readonly IngressRule[]): Promise<void>;
  /** Shut a node down (cleanly; killed after 60 s, or at once with `force`). Its files, address and tags stay. Idempotent. */
  stopNode(node: Pick<NodeInfo, 'id'>, opts?: { force?: boolean }): Promise<void>;
  /** Boot a stopped node with its files kept, its firewall restored; resolves once SSH answers. Idempotent. */
  startNode(node: Pick<NodeInfo, 'id'>, signal?: AbortSignal): Promise<void>;
  /** Reboot a node: a clean shutdown, then a boot (its boot id changes); resolves once SSH answers. */
  rebootNode(node: Pick<NodeInfo, 'id'>, signal?: AbortSignal): Promise<void>;
  /**
   * Replace a node's CPU and memory limits (as createNode's hardware; a field left out lifts
   * its limit); a running node gets them at once. Refused when this host cannot meet them.
   */
  setLimits(node: Pick<NodeInfo, 'id'>, limits: LocalLimits): Promise<void>;
  /** Replace the keys authorized for root (forklift's own key stays) on a stopped node. */
  setAuthorizedKeys(node: Pick<NodeInfo, 'id'>, keys: readonly string[]): Promise<void>;
}

const quiet: ProviderContext = { log: () => {} };

export function createProvider(opts: LocalProviderOptions = {}, context: ProviderContext = quiet): LocalProvider {
  const site = siteFor(opts, context.log);
  const { lxcPath } = site;
  const clientKey = () => ensureClientKey(site.sshKey);

  async function setInboundPorts(node: Pick<NodeInfo, 'id'>, ports: number[]): Promise<void> {
    const address = readAddress(lxcPath, node.id);
    if (!address) throw new ProviderError('local', `node ${node.id} does not exist`);
    const sorted = [...new Set(ports)].sort((a, b) => a - b);
    await ready(site);
    await withLock(site.hostLock, async () => {
      const old = readTags(lxcPath, node.id) ?? {};
      writeTags(lxcPath, node.id, { ...old, [PORTS_TAG]: sorted.join(',') });
    });
    await applyFirewall(site, node.id, address, sorted, parseIngress(readTags(lxcPath, node.id)?.[INGRESS_TAG]));
  }

  async function setIngress(node: Pick<NodeInfo, 'id'>, rules: readonly IngressRule[]): Promise<void> {
    const checked = checkIngress(rules);
    const address = readAddress(lxcPath, node.id);
    if (!address) throw new ProviderError('local', `node ${node.id} does not exist`);
    await ready(site);
    await withLock(site.hostLock, async () => {
      const old = readTags(lxcPath, node.id) ?? {};
      writeTags(lxcPath, node.id, { ...old, [INGRESS_TAG]: encodeIngress(checked) });
      await applyFirewall(site, node.id, address, parsePorts(old[PORTS_TAG]), checked);
    });
  }

  /** The node's address; it does not exist without one. */
  function existing(node: Pick<NodeInfo, 'id'>): string {
    const address = readAddress(lxcPath, node.id);
    if (!address) throw new ProviderError('local', `node ${node.id} does not exist`);
    return address;
  }

  const sshUp = (address: string, signal?: AbortSignal) =>
    waitForSsh(address, { provider: 'local', ...(opts.sshTimeoutMs ? { timeoutMs: opts.sshTimeoutMs } : {}), ...(signal ? { signal } : {}) });

  /** Refuse, before anything is made, a spec this host cannot meet. */
  function check(spec: NodeSpec): void {
    resolveImage(spec);
    renderUserData(spec, USER_DATA_LIMIT);
    const hw = spec.hardware ?? {};
    if (hw.minCores && hw.minCores > cpus().length)
      throw new ProviderError('local', `minCores ${hw.minCores} exceeds this host's ${cpus().length} cores`);
    if (hw.minRam && hw.minRam * 1024 * 1024 > totalmem())
      throw new ProviderError('local', `minRam ${hw.minRam} MiB exceeds this host's memory`);
    if (hw.minDisk && existsSync('/var/lib')) {
      const fs = statfsSync('/var/lib');
      const freeGiB = (fs.bavail * fs.bsize) / 2 ** 30;
      if (hw.minDisk > freeGiB)
        throw new ProviderError('local', `minDisk ${hw.minDisk} GiB exceeds free space (${freeGiB.toFixed(0)} GiB)`);
    }
  }

  return {
    name: 'local',

    async validate(spec, count) {
      check(spec);
      const room = addressCapacity(site);
      if (count > room) throw new ProviderError('local', `${count} nodes do not fit: this host has room for ${room} more in ${site.net.subnet}`);
    },

    lockStack: (stack, holder) => {
      requireRoot();
      return stackLock(site.locksDir, stack, holder);
    },

    async listNodes(stack) {
      requireRoot();
      const { privateKey } = await clientKey();
      const mine = taggedContainers(lxcPath).filter((c) => readTags(lxcPath, c)?.[TAG.stack] === stack);
      // Their next apt run may use it (a lift prepares no host).
      if (mine.length) await reviveIfStopped(site);
      const nodes = await Promise.all(mine.map((c) => readNode(site, c, privateKey)));
      return nodes.filter((n): n is NodeInfo => !!n).sort((a, b) => a.name.localeCompare(b.name));
    },

    async listUntagged(stack) {
      return untaggedContainers(lxcPath, stack).map((container) => ({
        id: container,
        name: container,
        group: '',
        address: '',
        state: 'error' as const,
        tags: {},
        os: { family: '', version: '' },
        ssh: { host: '', port: 22, user: 'root', privateKey: '' },
      }));
    },

    async createNode(req, signal) {
      const where = `${req.stack}/${req.name}`;
      check(req.nodeSpec);
      const userData = renderUserData(req.nodeSpec, USER_DATA_LIMIT);
      const image = resolveImage(req.nodeSpec);
      await ready(site);
      const rootfs = await ensureImage(image, site);
      const key = await clientKey();
      const container = containerName(req.stack, req.name);
      const ports = inboundPorts(req.nodeSpec);
      const tags: Tags = {
        ...req.tags,
        [TAG.stack]: req.stack,
        [TAG.group]: req.group,
        [NAME_TAG]: req.name,
        [TAG.image]: image.id,
        [PORTS_TAG]: ports.join(','),
      };
      const [address, lists] = await Promise.all([
        defineNode(site, container, tags, { hostname: container, rootfs, hardware: req.nodeSpec.hardware }),
        site.packageCache ? freshLists(site, image, rootfs) : undefined,
      ]);
      await writeDelta({
        delta: deltaDir(lxcPath, container),
        hostname: container,
        authorizedKeys: [key.publicKey, ...(req.authorizedKeys ?? [])],
        userData,
        files: site.packageCache ? aptProxyFiles(site.packageCache, httpOrigins(aptSourcesIn(rootfs))) : {},
        ...(lists ? { lists } : {}),
      });
      try {
        if (req.start !== false) {
          await startNode(site, container);
          await sshUp(address, signal);
        }
      } catch (err) {
        // The node stays listed (state "error"/"pending") for the engine to destroy.
        const lxcLog = join(containerDir(lxcPath, container), 'lxc.log');
        if (err instanceof Error && existsSync(lxcLog)) err.message += `\n${tail(readFileSync(lxcLog, 'utf8'), 5)}`;
        throw err;
      }
      markReady(lxcPath, container);
      const node = await readNode(site, container, key.privateKey);
      if (!node) throw new ProviderError('local', `${where}: node vanished while being created`);
      return node;
    },

    async destroyNode(node) {
      await destroyContainer(site, node.id);
    },

    async tagNode(node, tags) {
      await withLock(site.hostLock, async () => {
        const old = readTags(lxcPath, node.id);
        if (!old) throw new ProviderError('local', `node ${node.name} (${node.id}) does not exist`);
        writeTags(lxcPath, node.id, { ...old, ...tags });
      });
      if (PORTS_TAG in tags) await setInboundPorts(node, parsePorts(tags[PORTS_TAG]));
    },

    setInboundPorts,
    setIngress,

    async stopNode(node, stopOpts) {
      existing(node);
      await stopContainer(site, node.id, stopOpts?.force);
    },

    async startNode(node, signal) {
      const address = existing(node);
      if (!(await isRunning(site, node.id))) await startNode(site, node.id);
      await sshUp(address, signal);
    },

    async rebootNode(node, signal) {
      const address = existing(node);
      await stopContainer(site, node.id);
      await startNode(site, node.id);
      await sshUp(address, signal);
    },

    async setLimits(node, limits) {
      existing(node);
      check({ hardware: limits });
      await setLimits(site, node.id, limits);
    },

    async setAuthorizedKeys(node, keys) {
      existing(node);
      await writeAuthorizedKeys(site, node.id, [(await clientKey()).publicKey, ...keys]);
    },

    async close() {},
  };
}
