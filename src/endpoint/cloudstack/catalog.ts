// What the endpoint's cloud offers: one zone, the template local nodes boot, a few sizes.
// Ids are fixed so that they survive restarts and read well in tests.
export const ZONE = { id: '7d9e2b3c-0000-4000-8000-00000000000a', name: 'local-1', networktype: 'Basic', allocationstate: 'Enabled', securitygroupsenabled: true };

export const TEMPLATES = [
  {
    id: '7d9e2b3c-0000-4000-8000-0000000000d1',
    name: 'Debian 12 (bookworm) 64-bit',
    displaytext: 'Debian 12 (bookworm) 64-bit',
    ostypename: 'Debian GNU/Linux 12 (64-bit)',
    ispublic: true,
    isfeatured: true,
    isready: true,
    passwordenabled: false,
    format: 'QCOW2',
    hypervisor: 'LXC',
    /** bytes */
    size: 10 * 1024 ** 3,
    zoneid: ZONE.id,
    zonename: ZONE.name,
    templatetype: 'USER',
  },
];

export const SERVICE_OFFERINGS = [
  { name: 'Micro', cpunumber: 1, cpuspeed: 1000, memory: 512 },
  { name: 'Small', cpunumber: 1, cpuspeed: 2000, memory: 1024 },
  { name: 'Medium', cpunumber: 2, cpuspeed: 2000, memory: 2048 },
  { name: 'Large', cpunumber: 4, cpuspeed: 2000, memory: 4096 },
  { name: 'Huge', cpunumber: 8, cpuspeed: 2000, memory: 16384 },
].map((o, i) => ({ id: `7d9e2b3c-0000-4000-8000-0000000005${i}0`, displaytext: `${o.name} ${o.cpunumber} vCPU, ${o.memory} MiB`, storagetype: 'local', ...o }));

export const DISK_OFFERINGS = [10, 20, 50, 100].map((gb, i) => ({
  id: `7d9e2b3c-0000-4000-8000-0000000006${i}0`,
  name: `${gb} GB`,
  displaytext: `${gb} GB disk`,
  disksize: gb,
  iscustomized: false,
  storagetype: 'local',
}));
