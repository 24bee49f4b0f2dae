// The one fixture for real local nodes: every stack a test file makes is registered here
// before its first node exists, and removed by name when the file ends, also when a test
// failed. And the one way tests reach a node: OpenSSH's ssh with forklift's key.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { after } from 'node:test';
import { chainName, containerName, containerPrefix, createProvider, DEFAULT_LXC_PATH, inputChain, network, packageCacheFor, removePackageCache, SSH_KEY, type PackageCache } from '../../src/providers/local/index.ts';
import type { NodeInfo } from '../../src/providers/types.ts';
import type { NodeSpec } from '../../src/spec/node.ts';
import { forklift, stackDir, type CliRun } from './helpers.ts';

const local = createProvider({}, { log: (m) => console.error(m) });
const stacks = new Set<string>();

after(async () => {
  for (const stack of stacks) await removeStack(stack);
});

/** A unique stack name for this test process (`<prefix><pid><suffix>`), registered for removal when the file ends. */
export function stackName(prefix: string, suffix = ''): string {
  const name = `${prefix}${process.pid}${suffix}`;
  if (name.length > 24) throw new Error(`stack prefix ${prefix} is too long`);
  stacks.add(name);
  return name;
}

/** Remove every node of `stack` on this host: those its tags name, then any container left under its names. */
export async function removeStack(stack: string): Promise<void> {
  for (const node of await local.listNodes(stack)) await local.destroyNode(node).catch((e: Error) => console.error(`clean-up: ${e.message}`));
  for (const container of leftovers(stack).containers) spawnSync('lxc-destroy', ['-P', DEFAULT_LXC_PATH, '-n', container, '-f']);
}

export interface TestStack {
  stack: string;
  /** The folder holding its forklift.config.ts. */
  dir: string;
  /** `forklift ARGS` in the stack's folder. */
  cli(args: string[], env?: NodeJS.ProcessEnv): Promise<CliRun>;
}

/** A stack file in a folder of its own, written from `source(stackName)`; its nodes go when the file ends. */
export function testStack(prefix: string, source: (stack: string) => string): TestStack {
  const stack = stackName(prefix);
  const dir = stackDir(source(stack));
  return { stack, dir, cli: (args, env) => forklift(args, dir, env) };
}

/** Nodes made directly with the local provider (machines "outside" forklift's stack, for hosts tests). */
export async function localNodes(stack: string, group: string, names: readonly string[], nodeSpec: NodeSpec = {}): Promise<NodeInfo[]> {
  stacks.add(stack);
  return Promise.all(names.map((name) => local.createNode({ stack, group, name, nodeSpec, tags: { 'forklift-stack': stack, 'forklift-group': group } })));
}

export interface SshRun {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout as bytes, for byte-exact checks. */
  bytes: Buffer;
}

export interface SshOptions {
  /** Private key file (default: the local provider's key). */
  key?: string;
  user?: string;
  port?: number;
  /** A known_hosts file to check the host key against; without it any key is taken. */
  knownHosts?: string;
}

/** Run `command` on a node with OpenSSH, as an operator would. */
export function ssh(host: string | Pick<NodeInfo, 'address'>, command: string, options: SshOptions = {}): SshRun {
  const address = typeof host === 'string' ? host : host.address;
  const check = options.knownHosts ? ['-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${options.knownHosts}`] : ['-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null'];
  const r = spawnSync(
    'ssh',
    ['-i', options.key ?? SSH_KEY, '-p', String(options.port ?? 22), ...check, '-o', 'LogLevel=ERROR', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5', `${options.user ?? 'root'}@${address}`, command],
    { timeout: 60_000 },
  );
  return { code: r.status ?? 255, stdout: r.stdout?.toString('utf8') ?? '', stderr: r.stderr?.toString('utf8') ?? '', bytes: r.stdout ?? Buffer.alloc(0) };
}

/** Containers and processes left on the host under a stack's names. */
export function leftovers(stack: string): { containers: string[]; processes: string[] } {
  const prefix = containerPrefix(stack);
  const containers = spawnSync('lxc-ls', ['-1', '-P', DEFAULT_LXC_PATH], { encoding: 'utf8' }).stdout.split('\n').filter((n) => n.startsWith(prefix));
  const processes = spawnSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.includes(prefix));
  return { containers, processes };
}

/** Whether the host still has a firewall chain for a node of the stack. */
export function hasChain(stack: string, node: string): boolean {
  return spawnSync('iptables', ['-w', '-S'], { encoding: 'utf8' }).stdout.includes(chainName(containerName(stack, node)));
}

/** Start a throwaway HTTP server on each port of a node, and return once each answers on the node itself. */
export function serveHttp(host: string | Pick<NodeInfo, 'address'>, ports: readonly number[], options: SshOptions = {}): void {
  const start = ports.map((p) => `setsid nohup python3 -m http.server ${p} >/dev/null 2>&1 </dev/null &`).join(' ');
  const ready = ports.map((p) => `curl -s -o /dev/null localhost:${p}`).join(' && ');
  const r = ssh(host, `${start} for i in $(seq 100); do ${ready} && exit 0; sleep 0.1; done; exit 1`, options);
  if (r.code !== 0) throw new Error(`HTTP servers on ports ${ports.join(', ')} did not answer: ${r.stderr}`);
}

/** The package cache's daemon: its pid (from its pid file) and the local addresses it listens on. */
export function packageCacheDaemon(cache: PackageCache): { pid: number; listening: string[] } {
  const pid = Number(readFileSync(cache.pidFile, 'utf8').trim());
  const ss = spawnSync('ss', ['-ltnpH'], { encoding: 'utf8' }).stdout.split('\n');
  return { pid, listening: ss.filter((l) => l.includes(`pid=${pid},`)).map((l) => l.trim().split(/\s+/)[3]!) };
}

/** The cache log's lines for files whose path matches `pattern`: [I (fetched from the mirror) or O (served), client address]. */
export function cacheTransfers(cache: PackageCache, pattern: string): Array<[string, string]> {
  let log = '';
  try {
    log = readFileSync(cache.logFile, 'utf8');
  } catch {
    // no log yet
  }
  const path = new RegExp(pattern);
  return log.split('\n').map((l) => l.split('|')).filter((f) => path.test(f[4] ?? '')).map((f) => [f[1]!, f[3]!]);
}

/** A host network of a test's own (never flbr0): its bridge, subnet and state folder, as local provider options. */
export interface TestNetwork {
  bridge: string;
  subnet: string;
  stateDir: string;
}

/**
 * Remove by name what a test's own network made on the host: the nodes of `stacks`, its
 * package cache (daemon, config, cache), its NAT rule, chains, bridge and state folder.
 */
export async function removeNetwork(options: TestNetwork, stacks: readonly string[]): Promise<void> {
  const net = network(options.bridge, options.subnet);
  const provider = createProvider(options);
  for (const stack of stacks) for (const node of await provider.listNodes(stack)) await provider.destroyNode(node).catch((e: Error) => console.error(`clean-up: ${e.message}`));
  await removePackageCache(packageCacheFor(options.stateDir, net, true)!);
  const ipt = (...args: string[]) => spawnSync('iptables', ['-w', ...args], { encoding: 'utf8' });
  const nat = ['-s', net.subnet, '!', '-d', net.subnet, '-j', 'MASQUERADE'];
  while (ipt('-t', 'nat', '-C', 'POSTROUTING', ...nat).status === 0) ipt('-t', 'nat', '-D', 'POSTROUTING', ...nat);
  for (const hook of ['FORWARD', 'OUTPUT']) while (ipt('-C', hook, '-j', net.mainChain).status === 0) ipt('-D', hook, '-j', net.mainChain);
  const input = inputChain(net);
  for (const line of ipt('-S', 'INPUT').stdout.split('\n')) if (line.endsWith(`-j ${input}`)) ipt('-D', ...line.split(' ').slice(1));
  for (const chain of [net.mainChain, input]) {
    ipt('-F', chain);
    ipt('-X', chain);
  }
  spawnSync('ip', ['link', 'del', net.bridge]);
  rmSync(options.stateDir, { recursive: true, force: true });
}
