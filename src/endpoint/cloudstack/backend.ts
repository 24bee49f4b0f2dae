// What backs the endpoint's VMs: real local nodes, made by the local provider's machinery.
// A VM's node is named after the VM's uuid, so it can be found (and removed) even when a
// deploy died before the endpoint recorded it. Its firewall is its security groups' rules
// (the local provider's ingress rules: protocol, source CIDR, port range, ICMP type).
import type { IngressRule, LocalProvider } from '../../providers/local/index.ts';

export type { IngressRule };

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
  /** What the node accepts: its security groups' rules. */
  ingress: IngressRule[];
}

export interface NodeBackend {
  create(vm: CreateVm): Promise<BackendNode>;
  /** Remove the VM's node. Idempotent: a node that is already gone is fine. */
  destroy(vmId: string): Promise<void>;
  /** Replace what the VM's node accepts (its security groups' rules changed). */
  setIngress(vmId: string, rules: IngressRule[]): Promise<void>;
  close?(): Promise<void>;
}

/** Local nodes of one local stack: one per VM, group "vm", named vm-<uuid prefix>. */
export function localBackend(local: LocalProvider, stack: string): NodeBackend {
  const find = async (vmId: string) => (await local.listNodes(stack)).find((n) => n.name === localNodeName(vmId));
  return {
    async create(vm) {
      // No inbound ports of its own: the node accepts its ingress rules, set once it exists.
      const node = await local.createNode({
        stack,
        group: 'vm',
        name: localNodeName(vm.id),
        nodeSpec: {
          network: { inboundPorts: [] },
          ...(vm.userData !== undefined ? { userData: vm.userData } : {}),
        },
        tags: { 'cloudstack-vm': vm.id, 'cloudstack-name': vm.name },
        authorizedKeys: vm.authorizedKeys,
      });
      await local.setIngress(node, vm.ingress);
      return { nodeId: node.id, address: node.address };
    },
    async destroy(vmId) {
      const node = await find(vmId);
      if (node) await local.destroyNode(node);
    },
    async setIngress(vmId, rules) {
      const node = await find(vmId);
      if (node) await local.setIngress(node, rules);
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
