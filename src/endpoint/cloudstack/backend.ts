// What backs the endpoint's VMs: real local nodes, made by the local provider's machinery.
// A VM's node is named after the VM's uuid, so it can be found (and removed) even when a
// deploy died before the endpoint recorded it.
import type { LocalProvider } from '../../providers/local/index.ts';

export interface BackendNode {
  nodeId: string;
  address: string;
}

export interface CreateVm {
  /** VM uuid: the local node is named after it. */
  id: string;
  name: string;
  authorizedKeys: string[];
  /** Decoded user data (cloud-config or script). */
  userData?: string;
  inboundPorts: number[];
}

export interface NodeBackend {
  create(vm: CreateVm): Promise<BackendNode>;
  /** Remove the VM's node. Idempotent: a node that is already gone is fine. */
  destroy(vmId: string): Promise<void>;
  setInboundPorts(vmId: string, ports: number[]): Promise<void>;
  close?(): Promise<void>;
}

/** Local nodes of one local stack: one per VM, group "vm", named vm-<uuid prefix>. */
export function localBackend(local: LocalProvider, stack: string): NodeBackend {
  const find = async (vmId: string) => (await local.listNodes(stack)).find((n) => n.name === localNodeName(vmId));
  return {
    async create(vm) {
      const node = await local.createNode({
        stack,
        group: 'vm',
        name: localNodeName(vm.id),
        nodeSpec: {
          network: { inboundPorts: vm.inboundPorts },
          ...(vm.userData !== undefined ? { userData: vm.userData } : {}),
        },
        tags: { 'cloudstack-vm': vm.id, 'cloudstack-name': vm.name },
        authorizedKeys: vm.authorizedKeys,
      });
      return { nodeId: node.id, address: node.address };
    },
    async destroy(vmId) {
      const node = await find(vmId);
      if (node) await local.destroyNode(node);
    },
    async setInboundPorts(vmId, ports) {
      const node = await find(vmId);
      if (node) await local.setInboundPorts(node, ports);
    },
    close: () => local.close?.() ?? Promise.resolve(),
  };
}

/** Default backend: the local provider (loaded lazily: it needs root, LXC and a base image). */
export async function defaultBackend(stack: string, log: (m: string) => void): Promise<NodeBackend> {
  const { createProvider } = await import('../../providers/local/index.ts');
  return localBackend(createProvider({}, { log }), stack);
}

export function localNodeName(vmId: string): string {
  return `vm-${vmId.slice(0, 8)}`;
}
