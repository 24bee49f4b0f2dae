// A node backend without nodes, for the endpoint's unit tests: it records what each VM's node
// would be (running or not, its size, keys and ingress rules) so that tests can assert it.
import type { Hardware, IngressRule, NodeBackend } from '../../src/endpoint/cloudstack/index.ts';

export interface FakeNode {
  running: boolean;
  hardware: Hardware;
  keys: string[];
  ingress: IngressRule[];
  userData?: string;
  boots: number;
}

export interface FakeBackend extends NodeBackend {
  readonly nodes: Map<string, FakeNode>;
  /** Host capacity: a size above it is refused, as the local provider refuses it. */
  maxCores: number;
}

export function fakeBackend(): FakeBackend {
  const nodes = new Map<string, FakeNode>();
  let created = 0;
  const node = (vmId: string) => {
    const n = nodes.get(vmId);
    if (!n) throw new Error(`the node of virtual machine ${vmId} is gone`);
    return n;
  };
  const b: FakeBackend = {
    nodes,
    maxCores: 2,
    async fits(hardware) {
      await new Promise((r) => setTimeout(r, 5)); // as a real check may take a while: requests interleave
      if (hardware.cores > b.maxCores) throw new Error(`minCores ${hardware.cores} exceeds this host's ${b.maxCores} cores`);
    },
    async create(vm) {
      created++;
      nodes.set(vm.id, { running: vm.start, hardware: vm.hardware, keys: vm.authorizedKeys, ingress: vm.ingress, boots: vm.start ? 1 : 0, ...(vm.userData !== undefined ? { userData: vm.userData } : {}) });
      return { nodeId: `fake-${vm.id}`, address: `10.77.9.${created}` };
    },
    async destroy(vmId) {
      nodes.delete(vmId);
    },
    async setIngress(vmId, rules) {
      const n = nodes.get(vmId);
      if (n) n.ingress = rules;
    },
    async stop(vmId) {
      node(vmId).running = false;
    },
    async start(vmId) {
      const n = node(vmId);
      if (!n.running) n.boots++;
      n.running = true;
    },
    async reboot(vmId) {
      node(vmId).boots++;
    },
    async setHardware(vmId, hardware) {
      node(vmId).hardware = hardware;
    },
    async setAuthorizedKeys(vmId, keys) {
      const n = node(vmId);
      if (n.running) throw new Error('running: stop it first');
      n.keys = keys;
    },
    async power() {
      return new Map([...nodes].map(([id, n]) => [id, n.running ? 'running' : 'stopped'] as const));
    },
  };
  return b;
}
