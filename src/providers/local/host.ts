// Host preparation, idempotent and fast when already done: packages, sysctls, the
// flbr0 bridge, NAT for the node subnet, the FORKLIFT filter chain and every node's
// firewall (restored from tags, e.g. after a host reboot). Serialized across processes.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { ProviderLog } from '../types.ts';
import { applyFirewall, ensureMainChain } from './firewall.ts';
import { INGRESS_TAG, parseIngress } from './ingress.ts';
import { withLock } from './lock.ts';
import { ensureHostPackages } from './packages.ts';
import { BRIDGE, GATEWAY, HOST_LOCK, PREFIX_LEN, SUBNET } from './paths.ts';
import { run, succeeds } from './run.ts';
import { parsePorts, PORTS_TAG, readAddress, readTags, taggedContainers } from './store.ts';

/** Minimum values; a higher host value is kept. */
const SYSCTLS: Array<[string, number]> = [
  ['net/ipv4/ip_forward', 1],
  ['fs/inotify/max_user_instances', 8192],
  ['fs/inotify/max_user_watches', 1048576],
];

const NAT_RULE = ['-s', SUBNET, '!', '-d', SUBNET, '-j', 'MASQUERADE'];

export async function prepareHost(lxcPath: string, log: ProviderLog): Promise<void> {
  await ensureHostPackages(log);
  await withLock(HOST_LOCK, async () => {
    raiseSysctls();
    await ensureBridge(log);
    if (!(await succeeds('iptables', ['-w', '-t', 'nat', '-C', 'POSTROUTING', ...NAT_RULE])))
      await run('iptables', ['-w', '-t', 'nat', '-A', 'POSTROUTING', ...NAT_RULE]);
    if (await ensureMainChain()) await restoreFirewalls(lxcPath, log);
  });
}

function raiseSysctls(): void {
  for (const [key, min] of SYSCTLS) {
    const file = `/proc/sys/${key}`;
    if (Number(readFileSync(file, 'utf8').trim()) < min) writeFileSync(file, `${min}\n`);
  }
}

async function ensureBridge(log: ProviderLog): Promise<void> {
  if (!existsSync(`/sys/class/net/${BRIDGE}`)) {
    log(`local: creating bridge ${BRIDGE} ${GATEWAY}/${PREFIX_LEN}`);
    await run('ip', ['link', 'add', BRIDGE, 'type', 'bridge']);
  }
  const addrs = await run('ip', ['-4', '-o', 'addr', 'show', 'dev', BRIDGE]);
  if (!addrs.stdout.includes(` ${GATEWAY}/`))
    await run('ip', ['addr', 'add', `${GATEWAY}/${PREFIX_LEN}`, 'dev', BRIDGE]);
  if (!(Number(readFileSync(`/sys/class/net/${BRIDGE}/flags`, 'utf8').trim()) & 1))
    await run('ip', ['link', 'set', BRIDGE, 'up']);
}

async function restoreFirewalls(lxcPath: string, log: ProviderLog): Promise<void> {
  const containers = taggedContainers(lxcPath);
  if (containers.length) log(`local: restoring firewall rules of ${containers.length} node(s)`);
  for (const container of containers) {
    const address = readAddress(lxcPath, container);
    const tags = readTags(lxcPath, container);
    if (address && tags) await applyFirewall(container, address, parsePorts(tags[PORTS_TAG]), parseIngress(tags[INGRESS_TAG]));
  }
}
