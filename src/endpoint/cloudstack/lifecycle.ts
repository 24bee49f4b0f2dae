// A VM's life, shared by the commands that change it: finding it, running work on it as a
// job queued behind its other jobs, and, at start-up, taking each VM's state from its node.
import { ApiError, type Ctx } from './api.ts';
import { SERVICE_OFFERINGS } from './catalog.ts';
import type { Hardware } from './backend.ts';
import type { VmRecord, VmState } from './store.ts';
import { rootVolumeId, vmView } from './views.ts';

/** States a VM leaves only by recoverVirtualMachine or by being expunged. */
export const GONE: readonly VmState[] = ['Destroyed', 'Expunging'];

export function findVm(ctx: Ctx, id: string): VmRecord {
  const vm = ctx.store.data.vms.find((v) => v.id === id);
  if (!vm) throw new ApiError(431, `Unable to find virtual machine with id ${id}`);
  return vm;
}

export function setState(ctx: Ctx, vm: VmRecord, state: VmState): void {
  ctx.store.update(() => (vm.state = state));
}

/** Refuse at once what can never succeed on the VM as it is now (431, naming its state). */
export function refuseIn(vm: VmRecord, states: readonly VmState[], command: string): void {
  if (states.includes(vm.state)) throw new ApiError(431, `${command}: virtual machine ${vm.name} (${vm.id}) is ${vm.state}`);
}

/**
 * Run `work` on a VM as an async job, after the VM's jobs already queued; the job's result is
 * the VM as it then is. `work` sees the VM's state when its turn comes, and checks it there.
 */
export function vmJob(ctx: Ctx, command: string, vm: VmRecord, work: (vm: VmRecord) => Promise<void>): { id: string; jobid: string } {
  const jobid = ctx.jobs.start(command, { type: 'VirtualMachine', id: vm.id }, async () => {
    if (!ctx.store.data.vms.includes(vm)) throw new ApiError(431, `${command}: virtual machine ${vm.id} was expunged`);
    await work(vm);
    return { virtualmachine: vmView(ctx, vm) };
  });
  return { id: vm.id, jobid };
}

/** The size a service offering gives a VM. */
export function hardwareOf(serviceofferingid: string): Hardware {
  const o = SERVICE_OFFERINGS.find((x) => x.id === serviceofferingid);
  if (!o) throw new ApiError(431, `Unable to find service offering ${serviceofferingid}`);
  return { cores: o.cpunumber, memoryMiB: o.memory };
}

/** Refuse with 533 (as a cloud without a host that fits) a size this host cannot hold. */
export async function ensureFits(ctx: Ctx, hardware: Hardware): Promise<void> {
  try {
    await ctx.backend.fits(hardware);
  } catch (err) {
    throw new ApiError(533, `Insufficient capacity: ${err instanceof Error ? err.message : String(err)}`, 4010);
  }
}

/**
 * At start-up: a VM's recorded state follows its node (the endpoint may have died mid-job, the
 * host may have rebooted). A VM whose node should exist but does not, or is broken, is Error;
 * one that was being expunged is expunged.
 */
export async function reconcile(ctx: Ctx): Promise<void> {
  for (const vm of ctx.store.data.vms.filter((v) => v.state === 'Expunging')) await expunge(ctx, vm);
  const live = ctx.store.data.vms.filter((vm) => (vm.nodeId || vm.state === 'Starting') && !GONE.includes(vm.state) && vm.state !== 'Error');
  if (!live.length) return;
  const power = await ctx.backend.power();
  ctx.store.update(() => {
    for (const vm of live) {
      const now = vm.nodeId ? power.get(vm.id) : undefined;
      const state: VmState = now === 'running' ? 'Running' : now === 'stopped' ? 'Stopped' : 'Error';
      if (state !== vm.state) ctx.log(`virtual machine ${vm.name} (${vm.id}) was ${vm.state}; its node is ${now ?? 'missing'}: now ${state}`);
      vm.state = state;
    }
  });
}

/** Remove the VM's node, then the VM and its tags (ROOT volume's too). */
export async function expunge(ctx: Ctx, vm: VmRecord): Promise<void> {
  setState(ctx, vm, 'Expunging');
  await ctx.backend.destroy(vm.id);
  const volume = rootVolumeId(vm);
  ctx.store.update((d) => {
    d.vms = d.vms.filter((v) => v.id !== vm.id);
    d.tags = d.tags.filter((t) => t.resourceid !== vm.id && t.resourceid !== volume);
  });
}
