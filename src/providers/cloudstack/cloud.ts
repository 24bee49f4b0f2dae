// The cloud calls the provider builds on: catalog, VM lookups, tags, destroy. Every VM
// lookup is scoped by tags or by the exact (name, displayname) pair, never by name alone.
import { TAG, type Tags } from '../types.ts';
import { CloudStackClient } from './client.ts';
import { CloudStackError } from './errors.ts';
import type { DiskOffering, ServiceOffering, Template, Zone } from './select.ts';
import { GONE_STATES, vmTags, type Vm } from './vm.ts';

export interface Catalog {
  zones: Zone[];
  templates: Template[];
  offerings: ServiceOffering[];
  disks: DiskOffering[];
}

export class Cloud {
  constructor(readonly client: CloudStackClient) {}

  async catalog(zone: (zones: Zone[]) => Zone): Promise<Catalog & { zone: Zone }> {
    const zones = await this.client.list<Zone>('listZones', { available: 'true' });
    const chosen = zone(zones);
    const [templates, offerings, disks] = await Promise.all([
      this.client.list<Template>('listTemplates', { templatefilter: 'executable', zoneid: chosen.id }),
      this.client.list<ServiceOffering>('listServiceOfferings'),
      this.client.list<DiskOffering>('listDiskOfferings'),
    ]);
    return { zones, zone: chosen, templates, offerings, disks };
  }

  /** Live VMs carrying every given tag (stack, group...). */
  async vmsTagged(tags: Tags, signal?: AbortSignal): Promise<Vm[]> {
    const params: Record<string, string> = {};
    Object.entries(tags).forEach(([key, value], i) => {
      params[`tags[${i}].key`] = key;
      params[`tags[${i}].value`] = value;
    });
    const vms = await this.client.list<Vm>('listVirtualMachines', params, signal);
    return vms.filter((vm) => !GONE_STATES.includes(vm.state) && Object.entries(tags).every(([k, v]) => vmTags(vm)[k] === v));
  }

  /**
   * The VM a create for (stack, group, name) made, tagged or not yet: exact name and
   * displayname (which holds the stack), and no tag saying it belongs elsewhere.
   */
  async vmNamed(stack: string, group: string, name: string, signal?: AbortSignal): Promise<Vm | undefined> {
    const vms = await this.client.list<Vm>('listVirtualMachines', { name }, signal);
    return vms.find((vm) => {
      const tags = vmTags(vm);
      return (
        vm.name === name &&
        vm.displayname === displayName(stack, name) &&
        !GONE_STATES.includes(vm.state) &&
        (tags[TAG.stack] ?? stack) === stack &&
        (tags[TAG.group] ?? group) === group
      );
    });
  }

  async vm(id: string, signal?: AbortSignal): Promise<Vm | undefined> {
    const vms = await this.client.list<Vm>('listVirtualMachines', { id }, signal);
    return vms.find((vm) => vm.id === id && !GONE_STATES.includes(vm.state));
  }

  /** Bring the VM's tags to include `want` (createTags refuses an existing key: delete changed ones first). */
  async writeTags(id: string, want: Tags, have?: Tags, signal?: AbortSignal): Promise<void> {
    const current = have ?? vmTags((await this.vm(id, signal)) ?? { id, name: '', state: '' });
    const changed = Object.entries(want).filter(([k, v]) => current[k] !== v);
    if (!changed.length) return;
    const base = { resourcetype: 'UserVm', resourceids: id };
    try {
      const stale = changed.filter(([k]) => k in current);
      if (stale.length) await this.client.job('deleteTags', { ...base, ...tagParams(stale.map(([k]) => [k])) }, { idempotent: true, signal });
      await this.client.job('createTags', { ...base, ...tagParams(changed) }, { signal });
    } catch (err) {
      // A lost answer may hide a success: accept it if the tags are there now.
      const now = vmTags((await this.vm(id, signal)) ?? { id, name: '', state: '' });
      if (!Object.entries(want).every(([k, v]) => now[k] === v)) throw err;
    }
  }

  /** Destroy and expunge a VM. Idempotent: a VM already gone is fine. */
  async destroy(id: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.client.job('destroyVirtualMachine', { id, expunge: 'true' }, { idempotent: true, signal });
    } catch (err) {
      if (err instanceof CloudStackError && !(await this.vm(id, signal))) return;
      throw err;
    }
  }
}

export function displayName(stack: string, name: string): string {
  return `${stack}/${name}`;
}

function tagParams(entries: Array<[string, string?]>): Record<string, string> {
  const params: Record<string, string> = {};
  entries.forEach(([key, value], i) => {
    params[`tags[${i}].key`] = key;
    if (value !== undefined) params[`tags[${i}].value`] = value;
  });
  return params;
}
