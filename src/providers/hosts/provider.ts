// The hosts provider: a fixed list of existing SSH hosts, each in a group. It cannot
// create or remove machines; its tags live on each host, in
// /var/lib/forklift/tags/<stack>.json, so the hosts remain the only record. The OS is
// read from the host's os-release when its tags are read, in the same command. Host keys
// are pinned as the user's known_hosts records them, or on first contact (hostkeys.ts).
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { ProviderError } from '../../errors.ts';
import { sh } from '../../shell/sh.ts';
import { sshTransport } from '../../transport/ssh.ts';
import type { Connection } from '../../transport/types.ts';
import { TAG, type NodeInfo, type NodeOs, type Provider, type Tags } from '../types.ts';
import { hostKeys } from './hostkeys.ts';
import type { HostEntry, HostsProviderOptions } from './options.ts';

const expandHome = (path: string) => (path === '~' || path.startsWith('~/') ? homedir() + path.slice(1) : path);

const tagsPath = (stack: string) => `/var/lib/forklift/tags/${stack}.json`;
const SEPARATOR = '--forklift-os--';

export function createProvider(options: HostsProviderOptions): Provider {
  const { hosts } = options;
  const fail = (message: string) => new ProviderError('hosts', message);
  const known = hostKeys(options.knownHosts ? resolve(expandHome(options.knownHosts)) : undefined);
  const pinFor = (h: HostEntry, port: number) =>
    h.hostKey ? { hostKey: h.hostKey, hostKeySource: `the stack file (hostKey of host ${h.host})` } : known.pin(h.host, port);

  const describe = (stack: string, h: HostEntry): NodeInfo => {
    const keyPath = resolve(h.privateKeyPath ?? `${homedir()}/.ssh/id_ed25519`);
    let privateKey: string;
    try {
      privateKey = readFileSync(keyPath, 'utf8');
    } catch {
      throw fail(`host ${h.host}: cannot read private key ${keyPath}`);
    }
    const port = h.port ?? 22;
    return {
      id: `${h.host}:${port}`,
      name: h.name ?? h.host,
      group: h.group,
      address: h.host,
      state: 'running',
      tags: { [TAG.stack]: stack, [TAG.group]: h.group },
      os: { family: '', version: '' },
      ssh: { host: h.host, port, user: h.user ?? 'root', privateKey, ...pinFor(h, port) },
    };
  };

  /** First contact: record the key the host offered, and pin it from now on. */
  const pinHostKey = (node: NodeInfo, key: string): NodeInfo => {
    known.record(node.ssh.host, node.ssh.port, key);
    return { ...node, ssh: { ...node.ssh, ...known.pin(node.ssh.host, node.ssh.port) } };
  };

  const withHost = async <R>(node: NodeInfo, fn: (c: Connection) => Promise<R>, signal?: AbortSignal): Promise<R> => {
    const conn = await sshTransport.connect(node, { timeoutMs: 15_000, ...(signal ? { signal } : {}) });
    try {
      return await fn(conn);
    } finally {
      conn.close();
    }
  };

  /** The host's stored tags and its OS, in one command. */
  const readHost = (node: NodeInfo, stack: string, signal?: AbortSignal) =>
    withHost(node, async (c) => {
      const out = await c.run(sh`cat ${tagsPath(stack)} 2>/dev/null || echo '{}'; echo ${SEPARATOR}; cat /etc/os-release 2>/dev/null`.text, signal ? { signal } : {});
      const [tagText = '', release = ''] = out.stdout.toString().split(`${SEPARATOR}\n`);
      return { tags: parseTags(tagText), os: parseOsRelease(release), hostKey: c.hostKey };
    }, signal);

  const listed = (group: string) => hosts.filter((h) => h.group === group).length;
  const hostsOf = (group: string) => `${listed(group)} host${listed(group) === 1 ? '' : 's'}`;

  return {
    name: 'hosts',
    async validate(_spec, count, group) {
      if (count > listed(group)) throw fail(`cannot create machines: the list has ${hostsOf(group)} in this group; converge it to at most ${listed(group)}`);
    },
    async listNodes(stack, signal) {
      return Promise.all(
        hosts.map(async (h) => {
          let node = describe(stack, h);
          // A host that cannot be read (down, or its key refused) is listed as configured; reaching it fails by name.
          const stored = await readHost(node, stack, signal).catch(() => undefined);
          if (!stored) return node;
          if (node.ssh.hostKey === undefined && stored.hostKey !== undefined) {
            try {
              node = pinHostKey(node, stored.hostKey);
            } catch {
              return node;
            }
          }
          return { ...node, os: stored.os, tags: { ...stored.tags, ...node.tags } };
        }),
      );
    },
    async createNode(req) {
      throw fail(`cannot create machines: group ${req.group} lists ${hostsOf(req.group)}; converge it to at most ${listed(req.group)}`);
    },
    async destroyNode(node) {
      throw fail(`cannot remove machines: ${node.name} stays; take it out of the hosts list instead`);
    },
    async pinHostKey(node, key) {
      pinHostKey(node, key);
    },
    async tagNode(node, tags, signal) {
      const stack = node.tags[TAG.stack] ?? '';
      const path = tagsPath(stack);
      const { tags: stored } = await readHost(node, stack, signal);
      const merged = JSON.stringify({ ...stored, ...tags });
      await withHost(node, (c) => c.run(sh`mkdir -p "$(dirname ${path})" && cat >${`${path}.new`} && mv ${`${path}.new`} ${path}`.text, { stdin: merged, ...(signal ? { signal } : {}) }), signal);
    },
  };
}

function parseTags(text: string): Tags {
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed && typeof parsed === 'object' ? (parsed as Tags) : {};
  } catch {
    return {};
  }
}

/** ID and VERSION_ID of an os-release file. */
export function parseOsRelease(text: string): NodeOs {
  const field = (name: string) => new RegExp(`^${name}=("?)(.*)\\1$`, 'm').exec(text)?.[2] ?? '';
  return { family: field('ID'), version: field('VERSION_ID') };
}
