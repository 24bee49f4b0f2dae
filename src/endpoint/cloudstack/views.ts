// How a VM and its ROOT volume read in answers: the fields the API reference lists for a
// UserVmResponse and a VolumeResponse that this cloud has (no host or storage pool ids: the
// account is not an admin).
import { createHash } from 'node:crypto';
import { macFor } from '../../providers/local/index.ts';
import { ACCOUNT, HYPERVISOR, NETWORK, OS_TYPE, OWNER, SERVICE_OFFERINGS, TEMPLATES, USER, ZONE } from './catalog.ts';
import type { Ctx } from './api.ts';
import { tagsOf } from './filters.ts';
import type { SecurityGroupRecord, TagRecord, VmRecord } from './store.ts';

/** A name-based id (fixed for a given seed): for what the endpoint does not store, e.g. a VM's ROOT volume. */
export function derivedId(seed: string): string {
  const h = createHash('sha1').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export const rootVolumeId = (vm: Pick<VmRecord, 'id'>) => derivedId(`root-volume:${vm.id}`);
export const groupId = (name: string) => derivedId(`instance-group:${name}`);

export function tagView(t: TagRecord) {
  return { ...t, ...OWNER };
}

export function groupView(ctx: Ctx, g: SecurityGroupRecord) {
  return {
    id: g.id,
    name: g.name,
    description: g.description,
    ...OWNER,
    ingressrule: g.ingressrule.map((r) => ({ ...r, tags: [] })),
    egressrule: [],
    tags: tagsOf(ctx.store.data.tags, g.id).map(tagView),
  };
}

/** A VM's NICs: one, on the guest network, once it has an address. */
export function nicView(vm: VmRecord) {
  if (!vm.address) return [];
  return [{
    id: derivedId(`nic:${vm.id}`),
    virtualmachineid: vm.id,
    deviceid: '0',
    ipaddress: vm.address,
    macaddress: macFor(vm.address),
    netmask: NETWORK.netmask,
    gateway: NETWORK.gateway,
    networkid: NETWORK.id,
    networkname: NETWORK.name,
    isdefault: true,
    type: NETWORK.type,
    traffictype: NETWORK.traffictype,
    broadcasturi: NETWORK.broadcasturi,
    isolationuri: NETWORK.isolationuri,
    secondaryip: [],
  }];
}

export function vmView(ctx: Ctx, vm: VmRecord) {
  const offering = SERVICE_OFFERINGS.find((o) => o.id === vm.serviceofferingid);
  const template = TEMPLATES.find((t) => t.id === vm.templateid);
  return {
    id: vm.id,
    name: vm.name,
    displayname: vm.displayname,
    ...OWNER,
    userid: USER.id,
    username: USER.username,
    accountid: ACCOUNT.id,
    state: vm.state,
    created: vm.created,
    haenable: vm.haenable ?? false,
    ...(vm.group ? { group: vm.group, groupid: groupId(vm.group) } : {}),
    zoneid: vm.zoneid,
    zonename: ZONE.name,
    templateid: vm.templateid,
    templatename: template?.name,
    templatedisplaytext: template?.displaytext,
    passwordenabled: false,
    serviceofferingid: vm.serviceofferingid,
    serviceofferingname: offering?.name,
    cpunumber: offering?.cpunumber,
    cpuspeed: offering?.cpuspeed,
    memory: offering?.memory,
    ...(vm.diskofferingid ? { diskofferingid: vm.diskofferingid } : {}),
    guestosid: OS_TYPE.id,
    ostypeid: OS_TYPE.id,
    osdisplayname: OS_TYPE.description,
    rootdeviceid: 0,
    rootdevicetype: 'ROOT',
    hypervisor: HYPERVISOR,
    isdynamicallyscalable: true,
    displayvm: true,
    ...(vm.keypair ? { keypair: vm.keypair, keypairs: vm.keypair } : {}),
    securitygroup: ctx.store.data.securityGroups.filter((g) => vm.securitygroupids.includes(g.id)).map((g) => groupView(ctx, g)),
    nic: nicView(vm),
    affinitygroup: [],
    details: {},
    tags: tagsOf(ctx.store.data.tags, vm.id).map(tagView),
  };
}

/** A VM's ROOT volume: its node's filesystem (an overlay on the host, no quota), of the template's size or rootdisksize. */
export function volumeView(ctx: Ctx, vm: VmRecord) {
  const template = TEMPLATES.find((t) => t.id === vm.templateid);
  const offering = SERVICE_OFFERINGS.find((o) => o.id === vm.serviceofferingid);
  const id = rootVolumeId(vm);
  return {
    id,
    name: `ROOT-${vm.name}`,
    type: 'ROOT',
    deviceid: 0,
    state: 'Ready',
    size: vm.rootdisksize ? vm.rootdisksize * 1024 ** 3 : template?.size,
    created: vm.created,
    ...OWNER,
    zoneid: vm.zoneid,
    zonename: ZONE.name,
    virtualmachineid: vm.id,
    vmname: vm.name,
    vmdisplayname: vm.displayname,
    vmstate: vm.state,
    templateid: vm.templateid,
    templatename: template?.name,
    templatedisplaytext: template?.displaytext,
    serviceofferingid: vm.serviceofferingid,
    serviceofferingname: offering?.name,
    storagetype: 'local',
    provisioningtype: 'thin',
    hypervisor: HYPERVISOR,
    destroyed: false,
    isextractable: false,
    displayvolume: true,
    quiescevm: false,
    tags: tagsOf(ctx.store.data.tags, id).map(tagView),
  };
}
