// Virtual machines: each one is a real local node. Deploy/destroy/start/stop are async jobs.
import { randomUUID } from 'node:crypto';
import { ApiError, idList, listResponse, matchesTags, required, tagFilters, tagsOf, type Ctx, type Handler } from '../api.ts';
import { DISK_OFFERINGS, SERVICE_OFFERINGS, TEMPLATES, ZONE } from '../catalog.ts';
import type { VmRecord } from '../store.ts';
import { vmIngress } from '../rules.ts';
import { ensureDefaultGroup, findGroup } from './securitygroups.ts';

/** CloudStack accepts up to 32 KB of base64 user data (with POST). */
export const MAX_USERDATA = 32768;
const GONE = ['Destroyed', 'Expunging'];

function vmView(ctx: Ctx, vm: VmRecord) {
  const offering = SERVICE_OFFERINGS.find((o) => o.id === vm.serviceofferingid);
  const template = TEMPLATES.find((t) => t.id === vm.templateid);
  return {
    id: vm.id,
    name: vm.name,
    displayname: vm.displayname,
    account: 'forklift',
    domain: 'ROOT',
    state: vm.state,
    created: vm.created,
    zoneid: vm.zoneid,
    zonename: ZONE.name,
    templateid: vm.templateid,
    templatename: template?.name,
    serviceofferingid: vm.serviceofferingid,
    serviceofferingname: offering?.name,
    cpunumber: offering?.cpunumber,
    cpuspeed: offering?.cpuspeed,
    memory: offering?.memory,
    ...(vm.diskofferingid ? { diskofferingid: vm.diskofferingid } : {}),
    ...(vm.keypair ? { keypair: vm.keypair } : {}),
    securitygroup: ctx.store.data.securityGroups
      .filter((g) => vm.securitygroupids.includes(g.id))
      .map((g) => ({ id: g.id, name: g.name })),
    nic: vm.address ? [{ id: `${vm.id}-nic0`, ipaddress: vm.address, isdefault: true, networkname: 'local' }] : [],
    tags: tagsOf(ctx.store.data.tags, vm.id),
  };
}

function findVm(ctx: Ctx, id: string): VmRecord {
  const vm = ctx.store.data.vms.find((v) => v.id === id);
  if (!vm) throw new ApiError(431, `Unable to find virtual machine with id ${id}`);
  return vm;
}

function decodeUserData(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value.length > MAX_USERDATA) throw new ApiError(431, `User data is too long: ${value.length} bytes of base64, the limit is ${MAX_USERDATA}`);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value)) throw new ApiError(431, 'User data is not valid base64');
  return Buffer.from(value, 'base64').toString('utf8');
}

function deploy(p: Record<string, string>, ctx: Ctx) {
  const serviceofferingid = required(p, 'serviceofferingid');
  const templateid = required(p, 'templateid');
  const zoneid = required(p, 'zoneid');
  if (!SERVICE_OFFERINGS.some((o) => o.id === serviceofferingid)) throw new ApiError(431, `Unable to find service offering ${serviceofferingid}`);
  if (!TEMPLATES.some((t) => t.id === templateid)) throw new ApiError(431, `Unable to find template ${templateid}`);
  if (zoneid !== ZONE.id) throw new ApiError(431, `Unable to find zone ${zoneid}`);
  if (p.diskofferingid && !DISK_OFFERINGS.some((d) => d.id === p.diskofferingid)) throw new ApiError(431, `Unable to find disk offering ${p.diskofferingid}`);
  const id = randomUUID();
  const name = p.name ?? `VM-${id}`;
  if (!/^[A-Za-z][A-Za-z0-9-]{0,62}$/.test(name) || name.endsWith('-')) {
    throw new ApiError(431, `Invalid name ${name}: letters, digits and hyphens, starting with a letter, at most 63`);
  }
  if (ctx.store.data.vms.some((v) => v.name === name && !GONE.includes(v.state))) {
    throw new ApiError(431, `A virtual machine with name ${name} already exists`);
  }
  const keypair = p.keypair ? ctx.store.data.keyPairs.find((k) => k.name === p.keypair) : undefined;
  if (p.keypair && !keypair) throw new ApiError(431, `Unable to find key pair ${p.keypair}`);
  const groups = [
    ...idList(p.securitygroupnames).map((n) => findGroup(ctx, { securitygroupname: n })),
    ...idList(p.securitygroupids).map((i) => findGroup(ctx, { securitygroupid: i })),
  ];
  if (!groups.length) groups.push(ensureDefaultGroup(ctx));
  const userData = decodeUserData(p.userdata);
  if (ctx.faults.noCapacity()) throw new ApiError(533, 'Unable to create a deployment for VM: insufficient capacity', 4010);

  const vm: VmRecord = {
    id,
    name,
    displayname: p.displayname ?? name,
    state: 'Starting',
    zoneid,
    templateid,
    serviceofferingid,
    ...(p.diskofferingid ? { diskofferingid: p.diskofferingid } : {}),
    securitygroupids: [...new Set(groups.map((g) => g.id))],
    ...(keypair ? { keypair: keypair.name } : {}),
    ...(p.userdata ? { userdata: p.userdata } : {}),
    created: new Date().toISOString().replace(/\.\d{3}Z$/, '+0000'),
  };
  ctx.store.update((d) => d.vms.push(vm));
  const failThis = ctx.faults.failDeployJob();
  const jobid = ctx.jobs.start('deployVirtualMachine', { type: 'VirtualMachine', id }, async () => {
    try {
      if (failThis) throw new ApiError(530, 'Simulated failure while starting the virtual machine');
      const node = await ctx.backend.create({
        id,
        name,
        authorizedKeys: keypair ? [keypair.publickey] : [],
        ...(userData !== undefined ? { userData } : {}),
        ingress: vmIngress(ctx, vm),
      });
      // Destroyed while it was starting: do not leave the node behind.
      if (GONE.includes(vm.state) || !ctx.store.data.vms.includes(vm)) {
        await ctx.backend.destroy(id);
        throw new ApiError(530, `Virtual machine ${id} was destroyed while it was starting`);
      }
      ctx.store.update(() => Object.assign(vm, { nodeId: node.nodeId, address: node.address, state: 'Running' }));
    } catch (err) {
      if (!GONE.includes(vm.state)) ctx.store.update(() => (vm.state = 'Error'));
      throw err;
    }
    return { virtualmachine: vmView(ctx, vm) };
  });
  return { id, jobid };
}

function destroy(p: Record<string, string>, ctx: Ctx) {
  const vm = findVm(ctx, required(p, 'id'));
  const expunge = p.expunge === 'true';
  const jobid = ctx.jobs.start('destroyVirtualMachine', { type: 'VirtualMachine', id: vm.id }, async () => {
    const view = vmView(ctx, vm);
    ctx.store.update(() => (vm.state = expunge ? 'Expunging' : 'Destroyed'));
    await ctx.backend.destroy(vm.id);
    ctx.store.update((d) => {
      delete vm.nodeId;
      delete vm.address;
      if (expunge) {
        d.vms = d.vms.filter((v) => v.id !== vm.id);
        d.tags = d.tags.filter((t) => t.resourceid !== vm.id);
      }
    });
    return { virtualmachine: { ...view, state: vm.state } };
  });
  return { id: vm.id, jobid };
}

function setState(command: string, from: string[], to: VmRecord['state']): Handler {
  return (p, ctx) => {
    const vm = findVm(ctx, required(p, 'id'));
    if (!from.includes(vm.state) && vm.state !== to) throw new ApiError(431, `${command}: virtual machine ${vm.id} is ${vm.state}`);
    const jobid = ctx.jobs.start(command, { type: 'VirtualMachine', id: vm.id }, async () => {
      ctx.store.update(() => (vm.state = to));
      return { virtualmachine: vmView(ctx, vm) };
    });
    return { id: vm.id, jobid };
  };
}

export const vmCommands: Record<string, Handler> = {
  deployVirtualMachine: deploy,
  destroyVirtualMachine: destroy,
  // State only: the local node keeps running (the local machinery has no stop/start yet).
  stopVirtualMachine: setState('stopVirtualMachine', ['Running'], 'Stopped'),
  startVirtualMachine: setState('startVirtualMachine', ['Stopped'], 'Running'),
  rebootVirtualMachine: setState('rebootVirtualMachine', ['Running'], 'Running'),
  listVirtualMachines: (p, ctx) => {
    const filters = tagFilters(p);
    const ids = idList(p.ids);
    const items = ctx.store.data.vms.filter(
      (vm) =>
        (!p.id || vm.id === p.id) &&
        (!ids.length || ids.includes(vm.id)) &&
        // name is a substring match, as in CloudStack: never select by name alone.
        (!p.name || vm.name.includes(p.name)) &&
        (p.state ? vm.state.toLowerCase() === p.state.toLowerCase() : !GONE.includes(vm.state)) &&
        (!p.keypair || vm.keypair === p.keypair) &&
        (!p.zoneid || vm.zoneid === p.zoneid) &&
        matchesTags(ctx.store.data.tags, vm.id, filters),
    );
    return listResponse('virtualmachine', items.map((vm) => vmView(ctx, vm)), p);
  },
};
