// updateVirtualMachine (display name, group, HA flag, user data, security groups of a stopped
// VM), getVirtualMachineUserData, resetSSHKeyForVirtualMachine (a stopped VM's node gets the
// new keys for root; forklift's own key stays).
import type { Params } from '../../../providers/cloudstack/index.ts';
import { ApiError, bool, idList, required, type Ctx, type Handler } from '../api.ts';
import { OS_TYPE } from '../catalog.ts';
import { findVm, refuseIn, vmJob } from '../lifecycle.ts';
import { vmIngress } from '../rules.ts';
import type { VmRecord } from '../store.ts';
import { vmView } from '../views.ts';
import { decodeUserData, keyPairsNamed } from './deploy.ts';
import { findGroup } from './securitygroups.ts';

/** New security groups for a VM, or undefined when the request names none. */
function groupsOf(ctx: Ctx, p: Params): string[] | undefined {
  if (p.securitygroupids && p.securitygroupnames) throw new ApiError(431, 'securitygroupids and securitygroupnames are mutually exclusive');
  const ids = idList(p.securitygroupids).map((i) => findGroup(ctx, { securitygroupid: i }).id);
  const named = idList(p.securitygroupnames).map((n) => findGroup(ctx, { securitygroupname: n }).id);
  const all = [...new Set([...ids, ...named])];
  return all.length ? all : undefined;
}

/**
 * Synchronous, as in CloudStack, which "does not first check whether the VM is stopped" except
 * for what needs it: security groups change only on a stopped VM. New user data is kept and
 * served by getVirtualMachineUserData; cloud-init on the node ran the first user data at its
 * first boot, as a CloudStack guest's cloud-init does (once per instance).
 */
async function update(p: Params, ctx: Ctx) {
  const vm = findVm(ctx, required(p, 'id'));
  refuseIn(vm, ['Expunging'], 'updateVirtualMachine');
  if (p.name !== undefined && p.name !== vm.name) throw new ApiError(431, `Changing a VM's host name (name) is not supported here: ${vm.name} keeps its name`);
  if (p.ostypeid && p.ostypeid !== OS_TYPE.id) throw new ApiError(431, `Unable to find OS type ${p.ostypeid}`);
  if (p.displayname !== undefined && !p.displayname.trim()) throw new ApiError(431, 'displayname must not be empty');
  const userdata = p.userdata;
  decodeUserData(userdata);
  const groups = groupsOf(ctx, p);
  if (groups && vm.state !== 'Stopped') throw new ApiError(431, `Security groups of virtual machine ${vm.name} (${vm.id}) can be changed only when it is stopped: it is ${vm.state}`);
  const haenable = bool(p, 'haenable');
  ctx.store.update(() => {
    if (p.displayname !== undefined) vm.displayname = p.displayname;
    if (p.group !== undefined) p.group ? (vm.group = p.group) : delete vm.group;
    if (haenable !== undefined) vm.haenable = haenable;
    if (userdata !== undefined) userdata ? (vm.userdata = userdata) : delete vm.userdata;
    if (groups) vm.securitygroupids = groups;
  });
  if (groups) await ctx.backend.setIngress(vm.id, vmIngress(ctx, vm));
  return { virtualmachine: vmView(ctx, vm) };
}

const userData: Handler = (p, ctx) => {
  const vm = findVm(ctx, required(p, 'virtualmachineid'));
  return { virtualmachineuserdata: { virtualmachineid: vm.id, ...(vm.userdata ? { userdata: vm.userdata } : {}) } };
};

/** Async, and only on a stopped VM, as in CloudStack (the keys reach the node before it boots again). */
const resetKey: Handler = (p, ctx) => {
  const vm = findVm(ctx, required(p, 'id'));
  const pairs = keyPairsNamed(ctx, p);
  if (!pairs.length) throw new ApiError(431, "'keypair' or 'keypairs' must be specified");
  const stoppedOnly = (v: VmRecord) => {
    if (v.state === 'Error' || v.state === 'Expunging') throw new ApiError(431, 'Vm with specified id is not in the right state');
    if (v.state !== 'Stopped') throw new ApiError(431, `Vm ${v.name} (${v.id}) should be stopped to do SSH Key reset: it is ${v.state}`);
  };
  stoppedOnly(vm);
  return vmJob(ctx, 'resetSSHKeyForVirtualMachine', vm, async () => {
    stoppedOnly(vm);
    await ctx.backend.setAuthorizedKeys(vm.id, pairs.map((k) => k.publickey));
    ctx.store.update(() => (vm.keypair = pairs.map((k) => k.name).join(',')));
  });
};

export const updateCommands: Record<string, Handler> = {
  updateVirtualMachine: update,
  getVirtualMachineUserData: userData,
  resetSSHKeyForVirtualMachine: resetKey,
};
