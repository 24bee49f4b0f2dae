// What the endpoint's cloud is: one basic zone with security groups, its one guest network,
// the template local nodes boot, a few sizes, one domain and one account. Ids are fixed so
// that they survive restarts and read well in tests.
import { network } from '../../providers/local/index.ts';

/** The network the endpoint's nodes are on: the local provider's default. */
const NET = network();

/** The API version whose reference the endpoint follows (listCapabilities, XML envelopes). */
export const CLOUDSTACK_VERSION = '4.18.0.0';
const CREATED = '2024-01-01T00:00:00+0000';

export const DOMAIN = { id: '7d9e2b3c-0000-4000-8000-0000000000e1', name: 'ROOT', path: 'ROOT', level: 0, haschild: false, state: 'Active' };

/** The one account. It sees and may recover or expunge destroyed VMs (allow.user.view.destroyed.vm, allow.user.expunge.recover.vm). */
export const ACCOUNT = { id: '7d9e2b3c-0000-4000-8000-0000000000e2', name: 'forklift', accounttype: 0, roletype: 'User', rolename: 'User' };
export const USER = { id: '7d9e2b3c-0000-4000-8000-0000000000e3', username: 'forklift' };

/** Owner fields every owned object carries. */
export const OWNER = { account: ACCOUNT.name, domainid: DOMAIN.id, domain: DOMAIN.name };

export const ZONE = {
  id: '7d9e2b3c-0000-4000-8000-00000000000a',
  name: 'local-1',
  description: 'Local nodes on this machine',
  networktype: 'Basic',
  allocationstate: 'Enabled',
  securitygroupsenabled: true,
  localstorageenabled: true,
  dhcpprovider: 'VirtualRouter',
  guestcidraddress: NET.subnet,
  tags: [],
};

export const OS_TYPE = {
  id: '7d9e2b3c-0000-4000-8000-0000000000f1',
  description: 'Debian GNU/Linux 12 (64-bit)',
  oscategoryid: '7d9e2b3c-0000-4000-8000-0000000000f0',
  oscategoryname: 'Debian',
  isuserdefined: false,
};

export const HYPERVISOR = 'LXC';

export const TEMPLATES = [
  {
    id: '7d9e2b3c-0000-4000-8000-0000000000d1',
    name: 'Debian 12 (bookworm) 64-bit',
    displaytext: 'Debian 12 (bookworm) 64-bit',
    ostypeid: OS_TYPE.id,
    ostypename: OS_TYPE.description,
    ispublic: true,
    isfeatured: true,
    isready: true,
    isextractable: false,
    crossZones: false,
    passwordenabled: false,
    sshkeyenabled: true,
    isdynamicallyscalable: true,
    format: 'QCOW2',
    hypervisor: HYPERVISOR,
    /** bytes */
    size: 10 * 1024 ** 3,
    zoneid: ZONE.id,
    zonename: ZONE.name,
    templatetype: 'USER',
    status: 'Download Complete',
    created: CREATED,
    account: 'system',
    domainid: DOMAIN.id,
    domain: DOMAIN.name,
    tags: [],
  },
];

export const SERVICE_OFFERINGS = [
  { name: 'Micro', cpunumber: 1, cpuspeed: 1000, memory: 512 },
  { name: 'Small', cpunumber: 1, cpuspeed: 2000, memory: 1024 },
  { name: 'Medium', cpunumber: 2, cpuspeed: 2000, memory: 2048 },
  { name: 'Large', cpunumber: 4, cpuspeed: 2000, memory: 4096 },
  { name: 'Huge', cpunumber: 8, cpuspeed: 2000, memory: 16384 },
].map((o, i) => ({
  id: `7d9e2b3c-0000-4000-8000-0000000005${i}0`,
  displaytext: `${o.name} ${o.cpunumber} vCPU, ${o.memory} MiB`,
  storagetype: 'local',
  provisioningtype: 'thin',
  offerha: false,
  limitcpuuse: false,
  isvolatile: false,
  issystem: false,
  iscustomized: false,
  dynamicscalingenabled: true,
  created: CREATED,
  ...o,
}));

export const DISK_OFFERINGS = [10, 20, 50, 100].map((gb, i) => ({
  id: `7d9e2b3c-0000-4000-8000-0000000006${i}0`,
  name: `${gb} GB`,
  displaytext: `${gb} GB disk`,
  disksize: gb,
  iscustomized: false,
  storagetype: 'local',
  provisioningtype: 'thin',
  created: CREATED,
}));

const mask = (bits: number) => [24, 16, 8, 0].map((s) => ((0xffffffff << (32 - bits)) >>> s) & 255).join('.');

/** A basic zone's one guest network: shared, untagged, security groups on. */
export const NETWORK = {
  id: '7d9e2b3c-0000-4000-8000-0000000000b1',
  name: 'defaultGuestNetwork',
  displaytext: 'defaultGuestNetwork',
  type: 'Shared',
  traffictype: 'Guest',
  guestiptype: 'Shared',
  broadcastdomaintype: 'Native',
  broadcasturi: 'vlan://untagged',
  isolationuri: 'ec2://untagged',
  acltype: 'Domain',
  state: 'Setup',
  isdefault: true,
  issystem: false,
  canusefordeploy: true,
  ispersistent: false,
  specifyipranges: true,
  restartrequired: false,
  cidr: NET.subnet,
  gateway: NET.gateway,
  netmask: mask(NET.prefixLen),
  zoneid: ZONE.id,
  zonename: ZONE.name,
  networkofferingid: '7d9e2b3c-0000-4000-8000-0000000000b2',
  networkofferingname: 'DefaultSharedNetworkOfferingWithSGService',
  networkofferingdisplaytext: 'Offering for Shared Security group enabled networks',
  service: ['Dhcp', 'Dns', 'UserData', 'SecurityGroup'].map((name) => ({ name })),
  ...OWNER,
  tags: [],
};
