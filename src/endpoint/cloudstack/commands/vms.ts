// listVirtualMachines and listNics. The account sees its destroyed VMs too (it may recover or expunge
// them, as with CloudStack's allow.user.view.destroyed.vm): `state=present` leaves them out.
// `name` is a substring match, as in CloudStack: never select by name alone.
import { ApiError, listResponse, required, type Handler } from '../api.ts';
import { NETWORK, ZONE } from '../catalog.ts';
import { matches } from '../filters.ts';
import { findVm, GONE } from '../lifecycle.ts';
import type { VmRecord } from '../store.ts';
import { groupId, nicView, vmView } from '../views.ts';

function inState(vm: VmRecord, state: string | undefined): boolean {
  if (!state) return true;
  if (state.toLowerCase() === 'present') return !GONE.includes(vm.state);
  return vm.state.toLowerCase() === state.toLowerCase();
}

export const vmCommands: Record<string, Handler> = {
  listVirtualMachines: (p, ctx) => {
    if (p.affinitygroupid) throw new ApiError(431, `Unable to find affinity group ${p.affinitygroupid}: this cloud has none`);
    const items = ctx.store.data.vms.filter(
      (vm) =>
        matches(p, { id: vm.id, name: vm.name, text: [vm.displayname], exact: [vm.state] }, { nameLike: true, tags: ctx.store.data.tags }) &&
        inState(vm, p.state) &&
        (!p.keypair || (vm.keypair ?? '').split(',').includes(p.keypair)) &&
        (!p.zoneid || p.zoneid === ZONE.id) &&
        (!p.templateid || vm.templateid === p.templateid) &&
        (!p.serviceofferingid || vm.serviceofferingid === p.serviceofferingid) &&
        (!p.securitygroupid || vm.securitygroupids.includes(p.securitygroupid)) &&
        (!p.networkid || (p.networkid === NETWORK.id && !!vm.address)) &&
        (!p.groupid || (!!vm.group && groupId(vm.group) === p.groupid)),
    );
    return listResponse('virtualmachine', items.map((vm) => vmView(ctx, vm)), p);
  },
  listNics: (p, ctx) => {
    const nics = nicView(findVm(ctx, required(p, 'virtualmachineid')));
    return listResponse('nic', nics.filter((n) => (!p.nicid || n.id === p.nicid) && (!p.networkid || n.networkid === p.networkid)), p);
  },
};
