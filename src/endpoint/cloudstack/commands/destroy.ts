// destroyVirtualMachine, expungeVirtualMachine, recoverVirtualMachine. Destroying a VM stops
// its node and keeps it (the VM is Destroyed, listed, and recoverable with its files) until
// expungeVirtualMachine or destroy with expunge=true removes the node. CloudStack would expunge
// it by itself after expunge.delay; the endpoint waits to be told.
import { ApiError, bool, idList, required, type Handler } from '../api.ts';
import { expunge, findVm, refuseIn, setState, vmJob } from '../lifecycle.ts';
import { vmView } from '../views.ts';

const destroy: Handler = (p, ctx) => {
  const vm = findVm(ctx, required(p, 'id'));
  const now = bool(p, 'expunge') ?? false;
  refuseIn(vm, ['Expunging'], 'destroyVirtualMachine');
  if (idList(p.volumeids).length) throw new ApiError(431, `Unable to find data volume ${idList(p.volumeids)[0]}: VMs here have a ROOT volume only`);
  return vmJob(ctx, 'destroyVirtualMachine', vm, async () => {
    if (vm.state !== 'Destroyed') {
      if (vm.state === 'Running') {
        setState(ctx, vm, 'Stopping');
        await ctx.backend.stop(vm.id, false).catch(async (err: unknown) => {
          if (!(await ctx.backend.power()).has(vm.id)) return; // its node is gone already: nothing to stop
          setState(ctx, vm, 'Running');
          throw err;
        });
      } else if (vm.state === 'Error' && vm.nodeId) {
        await ctx.backend.stop(vm.id, true).catch(() => {}); // what is left of it, if anything
      }
      setState(ctx, vm, 'Destroyed');
    }
    if (now) await expunge(ctx, vm);
  });
};

const expungeVm: Handler = (p, ctx) => {
  const vm = findVm(ctx, required(p, 'id'));
  if (!['Destroyed', 'Expunging', 'Error'].includes(vm.state)) {
    throw new ApiError(431, `Please specify a VM that is either in Destroyed or Expunging state: ${vm.name} (${vm.id}) is ${vm.state}`);
  }
  const jobid = ctx.jobs.start('expungeVirtualMachine', { type: 'VirtualMachine', id: vm.id }, async () => {
    if (ctx.store.data.vms.includes(vm)) await expunge(ctx, vm);
    return { success: true };
  });
  return { jobid };
};

/** Synchronous, as in CloudStack: a Destroyed VM is Stopped again, its node and files as they were. */
const recover: Handler = (p, ctx) => {
  const vm = findVm(ctx, required(p, 'id'));
  if (vm.state !== 'Destroyed') throw new ApiError(431, `Unable to recover virtual machine ${vm.name} (${vm.id}): it is ${vm.state}, not Destroyed`);
  if (!vm.nodeId) throw new ApiError(431, `Unable to recover virtual machine ${vm.name} (${vm.id}): it was destroyed before its node was made`);
  setState(ctx, vm, 'Stopped');
  return { virtualmachine: vmView(ctx, vm) };
};

export const destroyCommands: Record<string, Handler> = {
  destroyVirtualMachine: destroy,
  expungeVirtualMachine: expungeVm,
  recoverVirtualMachine: recover,
};
