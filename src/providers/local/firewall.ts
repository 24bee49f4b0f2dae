// Security groups for local nodes, in iptables. The FORKLIFT chain is jumped to from
// FORWARD (node↔node over the bridge: br_netfilter passes bridged frames through
// FORWARD) and OUTPUT (host → node). It sends traffic for a node's address to that
// node's own chain, which accepts replies, ICMP, the node's inbound TCP ports and
// TCP 22 from the host's bridge address (forklift's management path, always open),
// and rejects every other TCP/UDP packet. Traffic from nodes outwards is accepted.
// A node with ingress rules (ingress.ts) accepts what they allow too, and no other ICMP.
import { createHash } from 'node:crypto';
import { ingressLines, type IngressRule } from './ingress.ts';
import { GATEWAY, SUBNET } from './paths.ts';
import { run, succeeds } from './run.ts';

export const MAIN_CHAIN = 'FORKLIFT';
const HOOKS = ['FORWARD', 'OUTPUT'] as const;

/** Per-node chain name: short and stable (iptables allows 28 chars). */
export function chainName(container: string): string {
  return `FL-${createHash('sha256').update(container).digest('hex').slice(0, 12)}`;
}

const ipt = (...args: string[]) => run('iptables', ['-w', ...args]);
const iptOk = (...args: string[]) => succeeds('iptables', ['-w', ...args]);

/** Create the FORKLIFT chain and its hooks if missing. Returns true when the chain was new. */
export async function ensureMainChain(): Promise<boolean> {
  const created = !(await iptOk('-S', MAIN_CHAIN));
  if (created) {
    await ipt('-N', MAIN_CHAIN);
    await ipt('-A', MAIN_CHAIN, '-s', SUBNET, '-j', 'ACCEPT');
  }
  for (const hook of HOOKS)
    if (!(await iptOk('-C', hook, '-j', MAIN_CHAIN))) await ipt('-I', hook, '1', '-j', MAIN_CHAIN);
  return created;
}

/** Replace a node's rules atomically (iptables-restore flushes a declared chain), then hook it in. */
export async function applyFirewall(container: string, address: string, ports: number[], ingress?: readonly IngressRule[]): Promise<void> {
  const chain = chainName(container);
  const allow = [...new Set([...ports])].sort((a, b) => a - b);
  const rules = [
    '*filter',
    `:${chain} - [0:0]`,
    `-A ${chain} -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT`,
    ...(ingress ? [] : [`-A ${chain} -p icmp -j ACCEPT`]),
    `-A ${chain} -s ${GATEWAY}/32 -p tcp --dport 22 -j ACCEPT`,
    ...allow.map((port) => `-A ${chain} -p tcp --dport ${port} -j ACCEPT`),
    ...ingressLines(chain, ingress ?? []),
    `-A ${chain} -p tcp -j REJECT --reject-with tcp-reset`,
    `-A ${chain} -p udp -j REJECT --reject-with icmp-port-unreachable`,
    // Else the main chain's accept for the subnet would let the rest (ICMP) through.
    ...(ingress ? [`-A ${chain} -j DROP`] : []),
    'COMMIT',
    '',
  ].join('\n');
  await run('iptables-restore', ['-w', '--noflush'], { input: rules });
  const jump = ['-d', `${address}/32`, '-j', chain];
  if (!(await iptOk('-C', MAIN_CHAIN, ...jump))) await ipt('-I', MAIN_CHAIN, '1', ...jump);
}

/** Remove a node's chain and every jump to it. Idempotent. */
export async function removeFirewall(container: string): Promise<void> {
  const chain = chainName(container);
  await removeJumpsTo(MAIN_CHAIN, chain);
  if (await iptOk('-S', chain)) {
    await ipt('-F', chain);
    await ipt('-X', chain);
  }
}

async function removeJumpsTo(from: string, target: string): Promise<void> {
  const listed = await run('iptables', ['-w', '-S', from], { allowFail: true });
  for (const line of listed.stdout.split('\n')) {
    const words = line.trim().split(/\s+/);
    if (words[0] !== '-A' || words.at(-1) !== target || words.at(-2) !== '-j') continue;
    await run('iptables', ['-w', '-D', ...words.slice(1)], { allowFail: true });
  }
}
