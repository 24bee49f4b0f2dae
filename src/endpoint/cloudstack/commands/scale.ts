// scaleVirtualMachine (async; running or stopped: LXC changes a container's limits live) and
// changeServiceForVirtualMachine (sync; stopped only, as in CloudStack). The node's memory
// limit and CPU weight follow the new offering; a size this host cannot hold gets 533.
import type { Params } from '../../../providers/cloudstack/index.ts';
import { ApiError, required, type Ctx, type Handler } from '../api.ts';
import { ensureFits, findVm, hardwareOf, refuseIn, vmJob } from '../lifecycle.ts';
import type { VmRecord } from '../store.ts';
import { vmView } from '../views.ts';

/** The new offering, checked: it exists, is not custom-sized, fits this host. */
async function newOffering(ctx: Ctx, p: Params, vm: VmRecord): Promise<string> {
  const serviceofferingid = required(p, 'serviceofferingid');
  const hardware = hardwareOf(serviceofferingid);
  if (Object.keys(p).some((k) => k.startsWith('details['))) throw new ApiError(431, 'details (custom CPU or memory) are not supported: the offerings here are fixed sizes');
  if (serviceofferingid !== vm.serviceofferingid) await ensureFits(ctx, hardware);
  return serviceofferingid;
}

async function resize(ctx: Ctx, vm: VmRecord, serviceofferingid: string): Promise<void> {
  if (serviceofferingid === vm.serviceofferingid) return;
  if (vm.nodeId) await ctx.backend.setHardware(vm.id, hardwareOf(serviceofferingid));
  ctx.store.update(() => (vm.serviceofferingid = serviceofferingid));
}

const scale: Handler = async (p, ctx) => {
  const vm = findVm(ctx, required(p, 'id'));
  refuseIn(vm, ['Destroyed', 'Expunging', 'Error'], 'scaleVirtualMachine');
  const offering = await newOffering(ctx, p, vm);
  const jobid = vmJob(ctx, 'scaleVirtualMachine', vm, async () => {
    refuseIn(vm, ['Destroyed', 'Expunging', 'Error'], 'scaleVirtualMachine');
    await resize(ctx, vm, offering);
  }).jobid;
  return { jobid };
};

const changeService: Handler = async (p, ctx) => {
  const vm = findVm(ctx, required(p, 'id'));
  if (vm.state !== 'Stopped') {
    throw new ApiError(431, `Unable to upgrade virtual machine ${vm.name} (${vm.id}) in state ${vm.state}; make sure the virtual machine is stopped`);
  }
  await resize(ctx, vm, await newOffering(ctx, p, vm));
  return { virtualmachine: vmView(ctx, vm) };
};

export const scaleCommands: Record<string, Handler> = {
  scaleVirtualMachine: scale,
  changeServiceForVirtualMachine: changeService,
};
