// CloudStack VMs as forklift nodes.
import { TAG, type NodeInfo, type NodeOs, type NodeState, type Tags } from '../types.ts';

export interface Vm {
  id: string;
  name: string;
  displayname?: string;
  state: string;
  nic?: Array<{ ipaddress?: string }>;
  tags?: Array<{ key: string; value: string }>;
}

export const GONE_STATES = ['Destroyed', 'Expunging'];

const STATES: Record<string, NodeState> = {
  Running: 'running',
  Starting: 'pending',
  Stopping: 'stopped',
  Stopped: 'stopped',
  Error: 'error',
};

export function vmTags(vm: Vm): Tags {
  return Object.fromEntries((vm.tags ?? []).map((t) => [t.key, t.value]));
}

export function toNodeInfo(vm: Vm, privateKey: string): NodeInfo {
  const tags = vmTags(vm);
  const address = vm.nic?.[0]?.ipaddress ?? '';
  return {
    id: vm.id,
    name: vm.name,
    group: tags[TAG.group] ?? '',
    address,
    state: STATES[vm.state] ?? 'error',
    tags,
    os: imageOs(tags[TAG.image]),
    ssh: { host: address, port: 22, user: 'root', privateKey, ...hostKeyPin(vm, tags) },
  };
}

/** The host key pinned on first contact, kept in the VM's own tags. */
function hostKeyPin(vm: Vm, tags: Tags): { hostKey?: string; hostKeySource?: string } {
  const hostKey = tags[TAG.hostKey];
  return hostKey ? { hostKey, hostKeySource: `tag ${TAG.hostKey} of VM ${vm.name} (${vm.id})` } : {};
}

/** The OS recorded in the provider's own image tag ("debian-12", written at deploy from the template). */
export function imageOs(image: string | undefined): NodeOs {
  const at = image?.lastIndexOf('-') ?? -1;
  if (!image) return { family: '', version: '' };
  return at > 0 ? { family: image.slice(0, at), version: image.slice(at + 1) } : { family: image, version: '' };
}
