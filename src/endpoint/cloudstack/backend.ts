// What the endpoint needs from the machinery behind its VMs, and the default: the local
// provider's public API (a node per VM: its ingress rules, power, CPU and memory limits, keys).
import type { IngressRule, LocalProvider } from '../../providers/local/index.ts';

export type { IngressRule };

export interface BackendNode {
  nodeId: string;
  address: string;
}

/** A VM's size: its service offering's cores and memory. */
export interface Hardware {
  cores: number;
  memoryMiB: number;
}

export interface CreateVm {
  /** VM uuid: the local node is named after it. */
  id: string;
  name: string;
  authorizedKeys: string[];
  /** Decoded user data (cloud-config or script). */
  userData?: string;
  /** What the node accepts: its security groups' rules. */
  ingress: IngressRule[];
  hardware: Hardware;
  /** false: make the node but leave it stopped (deployVirtualMachine startvm=false). */
  start: boolean;
}

/** What a VM's node is doing, as far as the endpoint cares. */
export type NodePower = 'running' | 'stopped' | 'other';

export interface NodeBackend {
  /** Refuse (with a reason) a size this host cannot hold, before anything is made. */
  fits(hardware: Hardware): Promise<void>;
  create(vm: CreateVm): Promise<BackendNode>;
  /** Remove the VM's node. Idempotent: a node that is already gone is fine. */
  destroy(vmId: string): Promise<void>;
  /** Replace what the VM's node accepts (its security groups' rules changed). */
  setIngress(vmId: string, rules: IngressRule[]): Promise<void>;
  /** Shut the node down (its files and address stay); `force` kills it. Idempotent. */
  stop(vmId: string, force: boolean): Promise<void>;
  /** Boot the stopped node with its files kept; resolves when it answers SSH. */
  start(vmId: string): Promise<void>;
  reboot(vmId: string): Promise<void>;
  /** Give the node a new size (at once when it runs). */
  setHardware(vmId: string, hardware: Hardware): Promise<void>;
  /** Replace the public keys root accepts (the node is stopped). */
  setAuthorizedKeys(vmId: string, keys: string[]): Promise<void>;
  /** What every VM's node is doing, by VM id (VMs without a node are left out). */
  power(): Promise<Map<string, NodePower>>;
  close?(): Promise<void>;
}

const limits = (h: Hardware) => ({ minCores: h.cores, minRam: h.memoryMiB });

/** Local nodes of one local stack: one per VM, group "vm", named vm-<uuid prefix>. */
export function localBackend(local: LocalProvider, stack: string): NodeBackend {
  const find = async (vmId: string) => (await local.listNodes(stack)).find((n) => n.name === localNodeName(vmId));
  const node = async (vmId: string) => {
    const found = await find(vmId);
    if (!found) throw new Error(`the node of virtual machine ${vmId} is gone`);
    return found;
  };
  return {
    fits: async (hardware) => local.validate?.({ hardware: limits(hardware) }, 1, 'vm'),
    async create(vm) {
      // No inbound ports of its own: the node accepts its ingress rules, set once it exists.
      const made = await local.createNode({
        stack,
        group: 'vm',
        name: localNodeName(vm.id),
        nodeSpec: {
          network: { inboundPorts: [] },
          hardware: limits(vm.hardware),
          ...(vm.userData !== undefined ? { userData: vm.userData } : {}),
        },
        tags: { 'cloudstack-vm': vm.id, 'cloudstack-name': vm.name },
        authorizedKeys: vm.authorizedKeys,
        start: vm.start,
      });
      await local.setIngress(made, vm.ingress);
      return { nodeId: made.id, address: made.address };
    },
    async destroy(vmId) {
      const found = await find(vmId);
      if (found) await local.destroyNode(found);
    },
    async setIngress(vmId, rules) {
      const found = await find(vmId);
      if (found) await local.setIngress(found, rules);
    },
    stop: async (vmId, force) => local.stopNode(await node(vmId), { force }),
    start: async (vmId) => local.startNode(await node(vmId)),
    reboot: async (vmId) => local.rebootNode(await node(vmId)),
    setHardware: async (vmId, hardware) => local.setLimits(await node(vmId), limits(hardware)),
    setAuthorizedKeys: async (vmId, keys) => local.setAuthorizedKeys(await node(vmId), keys),
    async power() {
      const states = new Map<string, NodePower>();
      for (const n of await local.listNodes(stack)) {
        const vmId = n.tags['cloudstack-vm'];
        if (vmId) states.set(vmId, n.state === 'running' || n.state === 'stopped' ? n.state : 'other');
      }
      return states;
    },
    close: () => local.close?.() ?? Promise.resolve(),
  };
}

/** Default backend: the local provider (loaded lazily: it needs root, LXC and a base image only once a VM is made). */
export async function defaultBackend(stack: string, log: (m: string) => void): Promise<NodeBackend> {
  const { createProvider } = await import('../../providers/local/index.ts');
  return localBackend(createProvider({}, { log }), stack);
}

export function localNodeName(vmId: string): string {
  return `vm-${vmId.slice(0, 8)}`;
}
