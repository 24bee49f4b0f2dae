// listVolumes: each VM's ROOT volume (its node's filesystem). There are no data disks: a
// diskofferingid given at deploy is recorded on the VM, not made into a volume.
import { listResponse, type Handler } from '../api.ts';
import { ZONE } from '../catalog.ts';
import { matches } from '../filters.ts';
import { volumeView } from '../views.ts';

export const volumeCommands: Record<string, Handler> = {
  listVolumes: (p, ctx) => {
    const items = ctx.store.data.vms
      .map((vm) => volumeView(ctx, vm))
      .filter(
        (v) =>
          matches(p, { id: v.id, name: v.name }, { tags: ctx.store.data.tags }) &&
          (!p.virtualmachineid || v.virtualmachineid === p.virtualmachineid) &&
          (!p.type || p.type.toUpperCase() === 'ROOT') &&
          (!p.zoneid || p.zoneid === ZONE.id) &&
          (!p.state || p.state.toLowerCase() === v.state.toLowerCase()),
      );
    return listResponse('volume', items, p);
  },
};
