// Host preparation, idempotent and fast when already done: packages, sysctls, the
// network's bridge, NAT for its subnet, its filter chain, and the firewall of every
// running node that lost it (e.g. iptables flushed), and the nodes' package cache
// (package-cache.ts), found running or started. All of it under the host lock, so
// concurrent processes prepare one after the other; the provider runs it once per process.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { applyFirewall, chainName, ensureMainChain, listFirewall } from './firewall.ts';
import { INGRESS_TAG, parseIngress } from './ingress.ts';
import { withLock } from './lock.ts';
import { lxcState } from './node.ts';
import { ensurePackageCache } from './package-cache.ts';
import { ensureHostPackages } from './packages.ts';
import type { Site } from './site.ts';
import { parsePorts, PORTS_TAG, readAddress, readTags, taggedContainers } from './store.ts';

/** Minimum values; a higher host value is kept. */
const SYSCTLS: Array<[string, number]> = [
  ['net/ipv4/ip_forward', 1],
  ['fs/inotify/max_user_instances', 8192],
  ['fs/inotify/max_user_watches', 1048576],
];

export function natRule(site: Site): string[] {
  return ['-s', site.net.subnet, '!', '-d', site.net.subnet, '-j', 'MASQUERADE'];
}

export async function prepareHost(site: Site): Promise<void> {
  await withLock(site.hostLock, async () => {
    await ensureHostPackages(site);
    raiseSysctls();
    await ensureBridge(site);
    const nat = natRule(site);
    if (!(await site.runner.succeeds('iptables', ['-w', '-t', 'nat', '-C', 'POSTROUTING', ...nat])))
      await site.runner.run('iptables', ['-w', '-t', 'nat', '-A', 'POSTROUTING', ...nat]);
    await ensureMainChain(site);
    await restoreFirewalls(site);
    await ensurePackageCache(site);
  });
}

export function bridgeExists(site: Site): boolean {
  return existsSync(`/sys/class/net/${site.net.bridge}`);
}

function raiseSysctls(): void {
  for (const [key, min] of SYSCTLS) {
    const file = `/proc/sys/${key}`;
    if (Number(readFileSync(file, 'utf8').trim()) < min) writeFileSync(file, `${min}\n`);
  }
}

async function ensureBridge(site: Site): Promise<void> {
  const { bridge, gateway, prefixLen } = site.net;
  const ip = (...args: string[]) => site.runner.run('ip', args);
  if (!bridgeExists(site)) {
    site.log(`local: creating bridge ${bridge} ${gateway}/${prefixLen}`);
    await ip('link', 'add', bridge, 'type', 'bridge');
  }
  const addrs = await ip('-4', '-o', 'addr', 'show', 'dev', bridge);
  if (!addrs.stdout.includes(` ${gateway}/`)) await ip('addr', 'add', `${gateway}/${prefixLen}`, 'dev', bridge);
  if (!(Number(readFileSync(`/sys/class/net/${bridge}/flags`, 'utf8').trim()) & 1)) await ip('link', 'set', bridge, 'up');
}

/**
 * Running nodes whose chain or jump is missing get their rules back from their tags.
 * Only running ones: a node being destroyed is stopped before its chain goes, so a
 * concurrent destroy never gets its chain restored behind its back.
 */
async function restoreFirewalls(site: Site): Promise<void> {
  const { chains, jumps } = await listFirewall(site);
  const lost = taggedContainers(site.lxcPath).filter((c) => {
    const address = readAddress(site.lxcPath, c);
    return address && !(chains.has(chainName(c)) && jumps.has(`${address}/32 ${chainName(c)}`));
  });
  const running = [];
  for (const c of lost) if ((await lxcState(site, c)) === 'RUNNING') running.push(c);
  if (running.length) site.log(`local: restoring firewall rules of ${running.length} node(s)`);
  for (const container of running) {
    const address = readAddress(site.lxcPath, container);
    const tags = readTags(site.lxcPath, container);
    if (address && tags) await applyFirewall(site, container, address, parsePorts(tags[PORTS_TAG]), parseIngress(tags[INGRESS_TAG]));
  }
}
