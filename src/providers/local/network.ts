// The host network local nodes live on: a bridge, an IPv4 subnet (the bridge holds its
// first address, nodes get the others), NAT out of the subnet, and the filter chain that
// sends traffic to each node's own chain. Default: flbr0, 10.77.0.0/16, chain FORKLIFT.
import { ProviderError } from '../../errors.ts';

export interface Network {
  bridge: string;
  /** "10.77.0.0/16" */
  subnet: string;
  /** The bridge's address, the nodes' gateway: the subnet's first address. */
  gateway: string;
  prefixLen: number;
  /** Node addresses, by index 0..size-1 (the gateway and broadcast left out). */
  size: number;
  addressAt(index: number): string;
  /** The filter chain FORWARD and OUTPUT jump to for this network (≤ 28 chars). */
  mainChain: string;
}

export const DEFAULT_BRIDGE = 'flbr0';
export const DEFAULT_SUBNET = '10.77.0.0/16';

/** Bridge names: what Linux accepts for an interface (≤ 15), kept to plain characters. */
export const BRIDGE_PATTERN = /^[a-z][a-z0-9-]{0,14}$/;
/** Subnets: IPv4 CIDR with a prefix from /16 (65 534 nodes) to /28 (13 nodes). */
export const SUBNET_PATTERN = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(1[6-9]|2[0-8])$/;

const toText = (n: number) => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');

export function network(bridge = DEFAULT_BRIDGE, subnet = DEFAULT_SUBNET): Network {
  const m = SUBNET_PATTERN.exec(subnet);
  const octets = m ? m.slice(1, 5).map(Number) : [];
  if (!m || octets.some((o) => o > 255)) throw new ProviderError('local', `subnet ${subnet} is not an IPv4 CIDR from /16 to /28`);
  const prefixLen = Number(m[5]);
  const base = octets.reduce((acc, o) => acc * 256 + o, 0);
  const hostBits = 32 - prefixLen;
  if (base % 2 ** hostBits !== 0) throw new ProviderError('local', `subnet ${subnet} has host bits set; did you mean ${toText(base - (base % 2 ** hostBits))}/${prefixLen}?`);
  return {
    bridge,
    subnet,
    gateway: toText(base + 1),
    prefixLen,
    size: 2 ** hostBits - 3,
    addressAt: (index) => toText(base + 2 + index),
    // The default network keeps the chain name it always had.
    mainChain: bridge === DEFAULT_BRIDGE ? 'FORKLIFT' : `FORKLIFT-${bridge}`,
  };
}
