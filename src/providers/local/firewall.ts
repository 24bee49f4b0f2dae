// Security groups for local nodes, in iptables. The network's main chain (FORKLIFT for
// the default network) is jumped to from FORWARD (node↔node over the bridge: br_netfilter
// passes bridged frames through FORWARD) and OUTPUT (host → node). It sends traffic for a
// node's address to that node's own chain, which accepts replies, ICMP, the node's inbound
// TCP ports and TCP 22 from the host's bridge address (forklift's management path, always
// open), and rejects every other TCP/UDP packet. Traffic from nodes outwards is accepted.
// A node with ingress rules (ingress.ts) accepts what they allow too, and no other ICMP.
// A service of the host for the nodes (the package cache) listens on the gateway address;
// INPUT sends its port to the network's input chain, which takes the nodes and the host.
import { createHash } from 'node:crypto';
import { ingressLines, type IngressRule } from './ingress.ts';
import type { Network } from './network.ts';
import type { Site } from './site.ts';

const HOOKS = ['FORWARD', 'OUTPUT'] as const;

/** Per-node chain name: short and stable (iptables allows 28 chars). */
export function chainName(container: string): string {
  return `FL-${createHash('sha256').update(container).digest('hex').slice(0, 12)}`;
}

const ipt = (site: Site, ...args: string[]) => site.runner.run('iptables', ['-w', ...args]);
const iptOk = (site: Site, ...args: string[]) => site.runner.succeeds('iptables', ['-w', ...args]);

/** The main chain, its accept rule for the subnet and its hooks, each added when missing (an interrupted run may have left part). */
export async function ensureMainChain(site: Site): Promise<void> {
  const { mainChain, subnet } = site.net;
  if (!(await iptOk(site, '-S', mainChain))) await ipt(site, '-N', mainChain);
  const accept = ['-s', subnet, '-j', 'ACCEPT'];
  if (!(await iptOk(site, '-C', mainChain, ...accept))) await ipt(site, '-A', mainChain, ...accept);
  for (const hook of HOOKS)
    if (!(await iptOk(site, '-C', hook, '-j', mainChain))) await ipt(site, '-I', hook, '1', '-j', mainChain);
}

/** Chains that exist, and the main chain's jumps (`-d <address>/32 -j <chain>`), from one listing. */
export async function listFirewall(site: Site): Promise<{ chains: Set<string>; jumps: Set<string> }> {
  const listed = await site.runner.run('iptables', ['-w', '-S'], { allowFail: true });
  const chains = new Set<string>();
  const jumps = new Set<string>();
  for (const line of listed.stdout.split('\n')) {
    const words = line.trim().split(/\s+/);
    if (words[0] === '-N' && words[1]) chains.add(words[1]);
    if (words[0] === '-A' && words[1] === site.net.mainChain && words.at(-2) === '-j') jumps.add(`${words[3]} ${words.at(-1)}`);
  }
  return { chains, jumps };
}

/** Replace a node's rules atomically (iptables-restore flushes a declared chain), then hook it in. */
export async function applyFirewall(site: Site, container: string, address: string, ports: number[], ingress?: readonly IngressRule[]): Promise<void> {
  const chain = chainName(container);
  const allow = [...new Set([...ports])].sort((a, b) => a - b);
  const rules = [
    '*filter',
    `:${chain} - [0:0]`,
    `-A ${chain} -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT`,
    ...(ingress ? [] : [`-A ${chain} -p icmp -j ACCEPT`]),
    `-A ${chain} -s ${site.net.gateway}/32 -p tcp --dport 22 -j ACCEPT`,
    ...allow.map((port) => `-A ${chain} -p tcp --dport ${port} -j ACCEPT`),
    ...ingressLines(chain, ingress ?? []),
    `-A ${chain} -p tcp -j REJECT --reject-with tcp-reset`,
    `-A ${chain} -p udp -j REJECT --reject-with icmp-port-unreachable`,
    // Else the main chain's accept for the subnet would let the rest (ICMP) through.
    ...(ingress ? [`-A ${chain} -j DROP`] : []),
    'COMMIT',
    '',
  ].join('\n');
  await site.runner.run('iptables-restore', ['-w', '--noflush'], { input: rules });
  const jump = ['-d', `${address}/32`, '-j', chain];
  if (!(await iptOk(site, '-C', site.net.mainChain, ...jump))) await ipt(site, '-I', site.net.mainChain, '1', ...jump);
}

/** Remove a node's chain and every jump to it. Idempotent. */
export async function removeFirewall(site: Site, container: string): Promise<void> {
  const chain = chainName(container);
  await removeJumpsTo(site, site.net.mainChain, chain);
  if (await iptOk(site, '-S', chain)) {
    await ipt(site, '-F', chain);
    await ipt(site, '-X', chain);
  }
}

async function removeJumpsTo(site: Site, from: string, target: string): Promise<void> {
  const listed = await site.runner.run('iptables', ['-w', '-S', from], { allowFail: true });
  for (const line of listed.stdout.split('\n')) {
    const words = line.trim().split(/\s+/);
    if (words[0] !== '-A' || words.at(-1) !== target || words.at(-2) !== '-j') continue;
    await site.runner.run('iptables', ['-w', '-D', ...words.slice(1)], { allowFail: true });
  }
}

/** The network's input chain (`FORKLIFT-IN` for the default network). */
export const inputChain = (net: Network) => `${net.mainChain}-IN`;

/**
 * Let the nodes reach TCP `port` on the gateway through the host's INPUT path (whatever
 * its policy), from the bridge's subnet and from the host itself only: the input chain
 * takes them and drops the rest; INPUT jumps to it for that port alone (jumps for other
 * ports, left by an earlier setting, are removed).
 */
export async function ensureHostServicePort(site: Site, port: number): Promise<void> {
  const chain = inputChain(site.net);
  const { bridge, subnet, gateway } = site.net;
  const rules = ['*filter', `:${chain} - [0:0]`, `-A ${chain} -i lo -j ACCEPT`, `-A ${chain} -i ${bridge} -s ${subnet} -j ACCEPT`, `-A ${chain} -j DROP`, 'COMMIT', ''].join('\n');
  await site.runner.run('iptables-restore', ['-w', '--noflush'], { input: rules });
  const jump = ['-d', `${gateway}/32`, '-p', 'tcp', '-m', 'tcp', '--dport', String(port), '-j', chain];
  const listed = await site.runner.run('iptables', ['-w', '-S', 'INPUT'], { allowFail: true });
  let found = false;
  for (const line of listed.stdout.split('\n')) {
    const words = line.trim().split(/\s+/);
    if (words[0] !== '-A' || words.at(-1) !== chain || words.at(-2) !== '-j') continue;
    if (words.slice(2).join(' ') === jump.join(' ')) found = true;
    else await site.runner.run('iptables', ['-w', '-D', ...words.slice(1)], { allowFail: true });
  }
  if (!found) await ipt(site, '-I', 'INPUT', '1', ...jump);
}
