// Ingress rules for a node's firewall, as a cloud's security group states them: protocol,
// IPv4 source CIDR, and a TCP/UDP port range or an ICMP type/code. A node that has rules
// (setIngress) accepts what they allow besides its inbound ports, and ICMP follows the
// rules too (without rules, local nodes accept all ICMP). The rules live in the node's tags
// (INGRESS_TAG), so its firewall is rebuilt from them like its ports.
import { z } from 'zod';
import { ProviderError } from '../../errors.ts';
import { describeIssues } from '../../validate.ts';

/** Tag holding a node's ingress rules (JSON); absent on nodes that have none. */
export const INGRESS_TAG = 'forklift-ingress';

const octet = '(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4_CIDR = new RegExp(`^${octet}\\.${octet}\\.${octet}\\.${octet}/(3[0-2]|[12]?\\d)$`);

const cidr = z.string().regex(IPV4_CIDR, 'must be an IPv4 CIDR such as 10.0.0.0/8');
const port = z.number().int().min(1).max(65535);
/** -1 (or absent) means any, as CloudStack writes it. */
const icmpValue = z.number().int().min(-1).max(255);

const ruleSchema = z.discriminatedUnion('protocol', [
  z
    .object({ protocol: z.enum(['tcp', 'udp']), cidr, startPort: port, endPort: port })
    .strict()
    .refine((r) => r.startPort <= r.endPort, 'startPort must not be after endPort'),
  z
    .object({ protocol: z.literal('icmp'), cidr, icmpType: icmpValue.optional(), icmpCode: icmpValue.optional() })
    .strict()
    .refine((r) => (r.icmpCode ?? -1) === -1 || (r.icmpType ?? -1) !== -1, 'an ICMP code needs an ICMP type'),
  z.object({ protocol: z.literal('all'), cidr }).strict(),
]);

export type IngressRule = z.output<typeof ruleSchema>;

/** The rules, checked (they become iptables rules); a bad one is a ProviderError naming it. */
export function checkIngress(rules: readonly unknown[]): IngressRule[] {
  const result = z.array(ruleSchema).safeParse(rules);
  if (!result.success) throw new ProviderError('local', `ingress rules: ${describeIssues(result.error.issues)}`);
  return result.data;
}

export function encodeIngress(rules: readonly IngressRule[]): string {
  return JSON.stringify(rules);
}

/** The rules a tag holds; undefined when there is no tag. Unreadable entries are dropped (closed, not opened). */
export function parseIngress(value: string | undefined): IngressRule[] | undefined {
  if (value === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return [];
  }
  return (Array.isArray(parsed) ? parsed : []).flatMap((r) => {
    const one = ruleSchema.safeParse(r);
    return one.success ? [one.data] : [];
  });
}

/** iptables-restore lines accepting what the rules allow, in `chain`. */
export function ingressLines(chain: string, rules: readonly IngressRule[]): string[] {
  return rules.map((r) => {
    const from = `-A ${chain} -s ${r.cidr}`;
    if (r.protocol === 'all') return `${from} -j ACCEPT`;
    if (r.protocol === 'icmp') {
      const type = r.icmpType ?? -1;
      const code = r.icmpCode ?? -1;
      const match = type === -1 ? '' : ` --icmp-type ${type}${code === -1 ? '' : `/${code}`}`;
      return `${from} -p icmp${match} -j ACCEPT`;
    }
    const ports = r.startPort === r.endPort ? `${r.startPort}` : `${r.startPort}:${r.endPort}`;
    return `${from} -p ${r.protocol} --dport ${ports} -j ACCEPT`;
  });
}
