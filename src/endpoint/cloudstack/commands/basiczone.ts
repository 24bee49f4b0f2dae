// What a basic zone with security groups answers about networking: its one shared guest
// network, and empty lists for what it has none of. A VM's address is its NIC's, on the guest
// network: there are no public addresses (no Elastic IP), so no port forwarding or static NAT
// rules; there are no affinity groups (one host) and no projects.
import { listResponse, type Handler } from '../api.ts';
import { NETWORK } from '../catalog.ts';
import { matches } from '../filters.ts';

const none = (key: string): Handler => (p) => listResponse(key, [], p);

export const basicZoneCommands: Record<string, Handler> = {
  listNetworks: (p) => {
    const wanted = (value: string | undefined, actual: string) => !value || value.toLowerCase() === actual.toLowerCase();
    const ok =
      matches(p, { id: NETWORK.id, name: NETWORK.name, text: [NETWORK.displaytext] }) &&
      (!p.zoneid || p.zoneid === NETWORK.zoneid) &&
      wanted(p.type, NETWORK.type) &&
      wanted(p.traffictype, NETWORK.traffictype) &&
      wanted(p.guestiptype, NETWORK.guestiptype) &&
      wanted(p.isdefault, String(NETWORK.isdefault)) &&
      wanted(p.issystem, String(NETWORK.issystem)) &&
      wanted(p.canusefordeploy, String(NETWORK.canusefordeploy)) &&
      !p.vpcid &&
      (!p.supportedservices || p.supportedservices.split(',').every((s) => NETWORK.service.some((x) => x.name.toLowerCase() === s.trim().toLowerCase())));
    return listResponse('network', ok ? [NETWORK] : [], p);
  },
  listPublicIpAddresses: none('publicipaddress'),
  listPortForwardingRules: none('portforwardingrule'),
  listIpForwardingRules: none('ipforwardingrule'),
  listAffinityGroups: none('affinitygroup'),
  listProjects: none('project'),
};
