// startVirtualMachine, stopVirtualMachine, rebootVirtualMachine: the VM's node really boots,
// shuts down (its ports close) and reboots, with its files kept. Each is a job queued behind
// the VM's other jobs; starting a running VM or stopping a stopped one does nothing, as in
// CloudStack.
import { ApiError, bool, required, type Ctx, type Handler } from '../api.ts';
import { findVm, refuseIn, setState, vmJob } from '../lifecycle.ts';
import type { VmRecord, VmState } from '../store.ts';

const NEVER: readonly VmState[] = ['Destroyed', 'Expunging', 'Error'];

function wrongState(command: string, vm: VmRecord, wanted: string): ApiError {
  return new ApiError(431, `${command}: virtual machine ${vm.name} (${vm.id}) is ${vm.state}, not ${wanted}`);
}

/** Run a change of power; on failure the VM is left as `onFailure`, and the job fails. */
async function change(ctx: Ctx, vm: VmRecord, during: VmState, after: VmState, onFailure: VmState, work: () => Promise<void>): Promise<void> {
  setState(ctx, vm, during);
  try {
    await work();
  } catch (err) {
    setState(ctx, vm, onFailure);
    throw err;
  }
  setState(ctx, vm, after);
}

const stop: Handler = (p, ctx) => {
  const vm = findVm(ctx, required(p, 'id'));
  refuseIn(vm, NEVER, 'stopVirtualMachine');
  const force = bool(p, 'forced') ?? false;
  return vmJob(ctx, 'stopVirtualMachine', vm, async () => {
    if (vm.state === 'Stopped') return;
    if (vm.state !== 'Running') throw wrongState('stopVirtualMachine', vm, 'Running');
    await change(ctx, vm, 'Stopping', 'Stopped', 'Running', () => ctx.backend.stop(vm.id, force));
  });
};

const start: Handler = (p, ctx) => {
  const vm = findVm(ctx, required(p, 'id'));
  refuseIn(vm, NEVER, 'startVirtualMachine');
  return vmJob(ctx, 'startVirtualMachine', vm, async () => {
    if (vm.state === 'Running') return;
    if (vm.state !== 'Stopped') throw wrongState('startVirtualMachine', vm, 'Stopped');
    // A node that did not come up is stopped again: the VM is Stopped, as the failed job says.
    const boot = () => ctx.backend.start(vm.id).catch(async (err: unknown) => {
      await ctx.backend.stop(vm.id, true).catch(() => {});
      throw err;
    });
    await change(ctx, vm, 'Starting', 'Running', 'Stopped', boot);
  });
};

const reboot: Handler = (p, ctx) => {
  const vm = findVm(ctx, required(p, 'id'));
  refuseIn(vm, NEVER, 'rebootVirtualMachine');
  return vmJob(ctx, 'rebootVirtualMachine', vm, async () => {
    // CloudStack keeps a rebooting VM Running: the job tells when it is back.
    if (vm.state !== 'Running') throw wrongState('rebootVirtualMachine', vm, 'Running');
    await ctx.backend.reboot(vm.id);
  });
};

export const powerCommands: Record<string, Handler> = {
  startVirtualMachine: start,
  stopVirtualMachine: stop,
  rebootVirtualMachine: reboot,
};
