// The hosts provider: a fixed list of existing SSH hosts, each in a group.
// It cannot create or remove machines; its tags live on each host, in
// /var/lib/forklift/tags/<stack>.json, so the hosts remain the only record.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { z } from 'zod';
import { ProviderError } from '../../errors.ts';
import { sh } from '../../shell/sh.ts';
import { SshConnection } from '../../transport/ssh.ts';
import { TAG, type NodeInfo, type Provider, type ProviderLog, type Tags } from '../types.ts';

export const hostsProviderOptions = z
  .object({
    hosts: z
      .array(
        z
          .object({
            host: z.string().min(1),
            group: z.string().min(1),
            port: z.number().int().min(1).max(65535).optional(),
            user: z.string().min(1).optional(),
            privateKeyPath: z.string().min(1).optional(),
            name: z.string().regex(/^[A-Za-z0-9_.-]+$/).optional(),
          })
          .strict(),
      )
      .min(1),
    log: z.custom<ProviderLog>((v) => typeof v === 'function').optional(),
  })
  .strict();

export type HostsProviderOptions = z.input<typeof hostsProviderOptions>;

const tagsPath = (stack: string) => `/var/lib/forklift/tags/${stack}.json`;

export function createProvider(options: HostsProviderOptions): Provider {
  const { hosts } = hostsProviderOptions.parse(options);
  const fail = (message: string) => new ProviderError('hosts', message);

  const describe = (stack: string, h: (typeof hosts)[number]): NodeInfo => {
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
      ssh: { host: h.host, port, user: h.user ?? 'root', privateKey },
    };
  };

  const withHost = async <R>(node: NodeInfo, fn: (c: SshConnection) => Promise<R>, signal?: AbortSignal): Promise<R> => {
    const conn = await SshConnection.open(node.name, node.ssh, { timeoutMs: 15_000, ...(signal ? { signal } : {}) });
    try {
      return await fn(conn);
    } finally {
      conn.close();
    }
  };

  const readTags = (node: NodeInfo, stack: string, signal?: AbortSignal) =>
    withHost(node, async (c) => {
      const out = await c.run(sh`cat ${tagsPath(stack)} 2>/dev/null || echo '{}'`.text, '', signal);
      try {
        return JSON.parse(out.stdout.toString()) as Tags;
      } catch {
        return {};
      }
    }, signal);

  return {
    name: 'hosts',
    async listNodes(stack, signal) {
      return Promise.all(
        hosts.map(async (h) => {
          const node = describe(stack, h);
          const stored = await readTags(node, stack, signal).catch(() => ({}) as Tags);
          return { ...node, tags: { ...stored, ...node.tags } };
        }),
      );
    },
    async createNode(req) {
      const have = hosts.filter((h) => h.group === req.group).length;
      throw fail(`cannot create machines: group ${req.group} lists ${have} host${have === 1 ? '' : 's'}; converge it to at most ${have}`);
    },
    async destroyNode(node) {
      throw fail(`cannot remove machines: ${node.name} stays; take it out of the hosts list instead`);
    },
    async tagNode(node, tags, signal) {
      const stack = node.tags[TAG.stack] ?? '';
      const merged = JSON.stringify({ ...(await readTags(node, stack, signal)), ...tags });
      const path = tagsPath(stack);
      await withHost(node, (c) => c.run(sh`mkdir -p "$(dirname ${path})" && cat >${`${path}.new`} && mv ${`${path}.new`} ${path}`.text, merged, signal), signal);
    },
  };
}
