// Security group ingress rules: what authorizeSecurityGroupIngress accepts, and what a VM's
// node then accepts. Supported, and enforced on the node: TCP and UDP port ranges, ICMP
// (any, or one type, or one type and code), ALL; each from IPv4 CIDRs. Refused with 431:
// other protocols, IPv6 CIDRs, and rules whose source is another security group
// (usersecuritygrouplist), which local nodes cannot enforce.
import { randomUUID } from 'node:crypto';
import type { Params } from '../../providers/cloudstack/index.ts';
import { ApiError, type Ctx } from './api.ts';
import type { IngressRule } from './backend.ts';
import type { IngressRuleRecord, VmRecord } from './store.ts';

const PROTOCOLS = ['tcp', 'udp', 'icmp', 'all'] as const;
const octet = '(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4_CIDR = new RegExp(`^${octet}\\.${octet}\\.${octet}\\.${octet}/(3[0-2]|[12]?\\d)$`);

/** The rules one authorizeSecurityGroupIngress call adds (one per CIDR), or a 431 naming what is wrong. */
export function rulesFromParams(p: Params): IngressRuleRecord[] {
  if (Object.keys(p).some((k) => k.startsWith('usersecuritygrouplist'))) {
    throw new ApiError(431, 'Rules whose source is a security group (usersecuritygrouplist) are not supported here: give cidrlist');
  }
  const protocol = (p.protocol ?? 'tcp').toLowerCase();
  if (!isProtocol(protocol)) throw new ApiError(431, `Invalid protocol ${p.protocol}: supported are TCP, UDP, ICMP and ALL`);
  const cidrs = (p.cidrlist ?? '0.0.0.0/0').split(',').map((c) => c.trim()).filter(Boolean);
  if (!cidrs.length) throw new ApiError(431, 'cidrlist is empty');
  for (const cidr of cidrs) {
    if (cidr.includes(':')) throw new ApiError(431, `IPv6 CIDR ${cidr} is not supported: the nodes have IPv4 addresses only`);
    if (!IPV4_CIDR.test(cidr)) throw new ApiError(431, `Invalid CIDR ${cidr}: give an IPv4 network such as 10.0.0.0/8`);
  }
  const base = { protocol, startport: 0, endport: 0 };
  if (protocol === 'tcp' || protocol === 'udp') {
    const startport = int(p.startport);
    const endport = p.endport === undefined || p.endport === '' ? startport : int(p.endport);
    if (startport === undefined || endport === undefined || startport < 1 || endport > 65535 || endport < startport) {
      throw new ApiError(431, `Invalid port range ${p.startport ?? '(no startport)'}-${p.endport ?? p.startport ?? ''}: ports are 1-65535, startport first`);
    }
    Object.assign(base, { startport, endport });
  }
  const icmp: { icmptype?: number; icmpcode?: number } = {};
  if (protocol === 'icmp') {
    const type = p.icmptype === undefined ? -1 : int(p.icmptype);
    const code = p.icmpcode === undefined ? -1 : int(p.icmpcode);
    if (type === undefined || code === undefined || type < -1 || type > 255 || code < -1 || code > 255) {
      throw new ApiError(431, `Invalid ICMP type/code ${p.icmptype ?? -1}/${p.icmpcode ?? -1}: each is -1 (any) or 0-255`);
    }
    if (type === -1 && code !== -1) throw new ApiError(431, `ICMP code ${code} needs an ICMP type`);
    Object.assign(icmp, { icmptype: type, icmpcode: code });
  }
  return cidrs.map((cidr) => ({ ruleid: randomUUID(), ...base, ...icmp, cidr }));
}

export function sameRule(a: IngressRuleRecord, b: IngressRuleRecord): boolean {
  return (
    a.protocol === b.protocol && a.startport === b.startport && a.endport === b.endport && a.cidr === b.cidr &&
    (a.icmptype ?? -1) === (b.icmptype ?? -1) && (a.icmpcode ?? -1) === (b.icmpcode ?? -1)
  );
}

/** The ingress rule a stored rule enforces on a node. */
export function toIngress(r: IngressRuleRecord): IngressRule {
  switch (r.protocol) {
    case 'tcp':
    case 'udp':
      return { protocol: r.protocol, cidr: r.cidr, startPort: r.startport, endPort: r.endport };
    case 'icmp':
      return { protocol: 'icmp', cidr: r.cidr, icmpType: r.icmptype ?? -1, icmpCode: r.icmpcode ?? -1 };
    case 'all':
      return { protocol: 'all', cidr: r.cidr };
  }
}

/** What a VM's node accepts: the rules of its security groups, each once. */
export function vmIngress(ctx: Ctx, vm: VmRecord): IngressRule[] {
  const rules = new Map<string, IngressRule>();
  for (const group of ctx.store.data.securityGroups.filter((g) => vm.securitygroupids.includes(g.id))) {
    for (const rule of group.ingressrule) {
      const ingress = toIngress(rule);
      rules.set(JSON.stringify(ingress), ingress);
    }
  }
  return [...rules.values()];
}

function isProtocol(value: string): value is (typeof PROTOCOLS)[number] {
  return (PROTOCOLS as readonly string[]).includes(value);
}

function int(value: string | undefined): number | undefined {
  return value !== undefined && /^-?\d{1,6}$/.test(value.trim()) ? Number(value) : undefined;
}
