// deployVirtualMachine: a VM is a real local node, made by an async job; startvm=false makes it
// Stopped (the node exists, with its address and files, and boots at startVirtualMachine).
import { randomUUID } from 'node:crypto';
import type { Params } from '../../../providers/cloudstack/index.ts';
import { ApiError, bool, idList, required, type Ctx, type Handler } from '../api.ts';
import { DISK_OFFERINGS, HYPERVISOR, NETWORK, TEMPLATES, ZONE } from '../catalog.ts';
import { isoNow } from '../jobs.ts';
import { ensureFits, GONE, hardwareOf, setState, vmJob } from '../lifecycle.ts';
import { vmIngress } from '../rules.ts';
import type { KeyPairRecord, VmRecord } from '../store.ts';
import { ensureDefaultGroup, findGroup } from './securitygroups.ts';

/** CloudStack accepts up to 32 KB of base64 user data (with POST). */
export const MAX_USERDATA = 32768;

export function decodeUserData(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value.length > MAX_USERDATA) throw new ApiError(431, `User data is too long: ${value.length} bytes of base64, the limit is ${MAX_USERDATA}`);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value)) throw new ApiError(431, 'User data is not valid base64');
  return Buffer.from(value, 'base64').toString('utf8');
}

/** The key pairs `keypair` or `keypairs` name (each must exist). */
export function keyPairsNamed(ctx: Ctx, p: Params): KeyPairRecord[] {
  const names = [...new Set([...idList(p.keypair), ...idList(p.keypairs)])];
  return names.map((name) => {
    const pair = ctx.store.data.keyPairs.find((k) => k.name === name);
    if (!pair) throw new ApiError(431, `A key pair with name '${name}' does not exist`);
    return pair;
  });
}

/** Parameters this cloud cannot honour: refused, rather than silently ignored. */
function refuseUnsupported(p: Params): void {
  if (p.hypervisor && p.hypervisor.toLowerCase() !== HYPERVISOR.toLowerCase()) throw new ApiError(431, `Hypervisor ${p.hypervisor} is not available in zone ${ZONE.name}: its only hypervisor is ${HYPERVISOR}`);
  for (const id of idList(p.networkids)) if (id !== NETWORK.id) throw new ApiError(431, `Unable to find network by id ${id}`);
  for (const name of ['ipaddress', 'ip6address', 'macaddress']) if (p[name]) throw new ApiError(431, `${name} is not supported here: each VM's address is chosen by the endpoint`);
  if (Object.keys(p).some((k) => k.startsWith('iptonetworklist'))) throw new ApiError(431, 'iptonetworklist is not supported here: each VM\'s address is chosen by the endpoint');
  const affinity = [...idList(p.affinitygroupids), ...idList(p.affinitygroupnames)];
  if (affinity.length) throw new ApiError(431, `Unable to find affinity group ${affinity[0]}: this cloud has none (one host)`);
  if (p.securitygroupids && p.securitygroupnames) throw new ApiError(431, 'securitygroupids and securitygroupnames are mutually exclusive');
}

async function deploy(p: Params, ctx: Ctx) {
  const serviceofferingid = required(p, 'serviceofferingid');
  const templateid = required(p, 'templateid');
  const zoneid = required(p, 'zoneid');
  const hardware = hardwareOf(serviceofferingid);
  if (!TEMPLATES.some((t) => t.id === templateid)) throw new ApiError(431, `Unable to find template ${templateid}`);
  if (zoneid !== ZONE.id) throw new ApiError(431, `Unable to find zone ${zoneid}`);
  if (p.diskofferingid && !DISK_OFFERINGS.some((d) => d.id === p.diskofferingid)) throw new ApiError(431, `Unable to find disk offering ${p.diskofferingid}`);
  refuseUnsupported(p);
  const id = randomUUID();
  const name = p.name ?? `VM-${id}`;
  if (!/^[A-Za-z][A-Za-z0-9-]{0,62}$/.test(name) || name.endsWith('-')) {
    throw new ApiError(431, `Invalid name ${name}: letters, digits and hyphens, starting with a letter, at most 63`);
  }
  const rootdisksize = p.rootdisksize ? Number(p.rootdisksize) : undefined;
  if (rootdisksize !== undefined && !(Number.isInteger(rootdisksize) && rootdisksize > 0)) throw new ApiError(431, `rootdisksize ${p.rootdisksize} is not a size in GB`);
  const pairs = keyPairsNamed(ctx, p);
  const groups = [
    ...idList(p.securitygroupnames).map((n) => findGroup(ctx, { securitygroupname: n })),
    ...idList(p.securitygroupids).map((i) => findGroup(ctx, { securitygroupid: i })),
  ];
  if (!groups.length) groups.push(ensureDefaultGroup(ctx));
  const userData = decodeUserData(p.userdata);
  const start = bool(p, 'startvm') ?? true;
  if (ctx.faults.noCapacity()) throw new ApiError(533, 'Unable to create a deployment for VM: insufficient capacity', 4010);
  await ensureFits(ctx, hardware);
  // After the last await: nothing else can take the name between this check and the push.
  if (ctx.store.data.vms.some((v) => v.name === name && !GONE.includes(v.state))) {
    throw new ApiError(431, `A virtual machine with name ${name} already exists`);
  }

  const vm: VmRecord = {
    id,
    name,
    displayname: p.displayname || name,
    state: 'Starting',
    zoneid,
    templateid,
    serviceofferingid,
    ...(p.diskofferingid ? { diskofferingid: p.diskofferingid } : {}),
    securitygroupids: [...new Set(groups.map((g) => g.id))],
    ...(pairs.length ? { keypair: pairs.map((k) => k.name).join(',') } : {}),
    ...(p.userdata ? { userdata: p.userdata } : {}),
    ...(p.group ? { group: p.group } : {}),
    ...(rootdisksize ? { rootdisksize } : {}),
    created: isoNow(),
  };
  ctx.store.update((d) => d.vms.push(vm));
  const failThis = ctx.faults.failDeployJob();
  return vmJob(ctx, 'deployVirtualMachine', vm, async () => {
    try {
      if (failThis) throw new ApiError(530, 'Simulated failure while starting the virtual machine');
      const node = await ctx.backend.create({
        id,
        name,
        authorizedKeys: pairs.map((k) => k.publickey),
        ...(userData !== undefined ? { userData } : {}),
        ingress: vmIngress(ctx, vm),
        hardware,
        start,
      });
      ctx.store.update(() => Object.assign(vm, { nodeId: node.nodeId, address: node.address, state: start ? 'Running' : 'Stopped' }));
    } catch (err) {
      setState(ctx, vm, 'Error');
      throw err;
    }
  });
}

export const deployCommands: Record<string, Handler> = {
  deployVirtualMachine: deploy,
};
