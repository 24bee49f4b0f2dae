// The hosts provider: a fixed list of existing SSH hosts, each in a group. It cannot
// create or remove machines; its tags live on each host, in <stateDir>/tags/<stack>.json
// (stateDir default /var/lib/forklift), so the hosts remain the only record. Listing the
// hosts contacts none of them: the engine reads a host's tags and OS (nodeState) as the
// first command on the one connection it then works on, in the same exec as the phase that
// follows (RunOptions.keepChannel). Host keys are pinned as the user's known_hosts records
// them, or on first contact (hostkeys.ts), jump hosts' too.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ProviderError } from '../../errors.ts';
import { raw, sh } from '../../shell/sh.ts';
import { isUsablePrivateKey } from '../../transport/connect.ts';
import { DEFAULT_STATE_DIR } from '../../transport/remote.ts';
import { sshTransport } from '../../transport/ssh.ts';
import type { Connection, SshEndpoint } from '../../transport/types.ts';
import { TAG, type NodeInfo, type NodeOs, type NodeStateAccess, type Provider, type Tags } from '../types.ts';
import { hostKeys } from './hostkeys.ts';
import { parseJump, type JumpHop } from './jump.ts';
import type { HostEntry, HostsProviderOptions } from './options.ts';

const expandHome = (path: string) => (path === '~' || path.startsWith('~/') ? homedir() + path.slice(1) : path);

const stateDirOf = (node: NodeInfo) => node.ssh.stateDir ?? DEFAULT_STATE_DIR;
const tagsPath = (node: NodeInfo) => `${stateDirOf(node).replace(/\/+$/, '')}/tags/${node.tags[TAG.stack] ?? ''}.json`;
const SEPARATOR = '--forklift-os--';
/** fl_print FILE: a small file printed by the shell's own read (no process per file); status 1 when it cannot be read. */
const PRINT_FN = `fl_print() { [ -r "$1" ] || return 1; while IFS= read -r fl_l || [ -n "$fl_l" ]; do printf '%s\\n' "$fl_l"; done <"$1"; }`;
/** The key files tried when an entry names none, as OpenSSH tries them. */
const DEFAULT_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

export function createProvider(options: HostsProviderOptions): Provider {
  const hosts = options.hosts ?? [];
  const fail = (message: string) => new ProviderError('hosts', message);
  const known = hostKeys(options.knownHosts ? resolve(expandHome(options.knownHosts)) : undefined);
  const pinFor = (h: HostEntry, port: number) =>
    h.hostKey ? { hostKey: h.hostKey, hostKeySource: `the stack file (hostKey of host ${h.name ?? h.host})` } : known.pin(h.host, port);

  /** The key file named, or else ssh-agent's keys and the first usable default key file. */
  const credentials = (h: HostEntry): Pick<SshEndpoint, 'privateKey' | 'agent'> => {
    const name = h.name ?? h.host;
    if (h.privateKeyPath) {
      const path = resolve(expandHome(h.privateKeyPath));
      try {
        return { privateKey: readFileSync(path, 'utf8') };
      } catch {
        throw fail(`host ${name}: cannot read private key ${path}`);
      }
    }
    const agent = process.env['SSH_AUTH_SOCK'] || undefined;
    const privateKey = DEFAULT_KEYS.map((f) => readable(join(homedir(), '.ssh', f))).find((k) => k !== undefined && isUsablePrivateKey(k));
    if (!agent && !privateKey) {
      throw fail(`host ${name}: no key to log in with: no ssh-agent ($SSH_AUTH_SOCK is not set) and none of ~/.ssh/${DEFAULT_KEYS.join(', ')} is there unencrypted; set privateKeyPath, or add the key to ssh-agent`);
    }
    return { ...(privateKey ? { privateKey } : {}), ...(agent ? { agent } : {}) };
  };

  /** A chain of jump hosts (contacted in order) as the endpoint the node's `jump` is. */
  const jumpEndpoint = (hops: JumpHop[], user: string, creds: Pick<SshEndpoint, 'privateKey' | 'agent'>): SshEndpoint | undefined => {
    let jump: SshEndpoint | undefined;
    for (const hop of hops) jump = { host: hop.host, port: hop.port, user: hop.user ?? user, ...creds, ...known.pin(hop.host, hop.port), ...(jump ? { jump } : {}) };
    return jump;
  };

  const describe = (stack: string, h: HostEntry): NodeInfo => {
    const creds = credentials(h);
    const port = h.port ?? 22;
    const user = h.user ?? 'root';
    const hops = h.jump ? parseJump(h.jump) : [];
    const jump = Array.isArray(hops) ? jumpEndpoint(hops, user, creds) : undefined;
    const become = h.become ?? user !== 'root';
    return {
      id: h.jump ? `${h.host}:${port} via ${h.jump}` : `${h.host}:${port}`,
      name: h.name ?? h.host,
      group: h.group,
      address: h.host,
      state: 'running',
      tags: { [TAG.stack]: stack, [TAG.group]: h.group },
      os: { family: '', version: '' },
      // Existing machines: a refused or unreachable host fails at once, not after the connect timeout.
      ssh: { host: h.host, port, user, ...creds, ...pinFor(h, port), ...(jump ? { jump } : {}), ...(become ? { become } : {}), ...(h.stateDir ? { stateDir: h.stateDir } : {}), retry: false },
      ...(h.vars ? { vars: h.vars } : {}),
    };
  };

  const nodeState: NodeStateAccess = {
    async read(node, conn, signal) {
      // One line: the node's shell reads it with its own read (remote.ts).
      const out = await conn.run(sh`${raw(PRINT_FN)}; fl_print ${tagsPath(node)} || echo '{}'; echo ${SEPARATOR}; fl_print /etc/os-release`.text, { keepChannel: true, ...(signal ? { signal } : {}) });
      const [tagText = '', release = ''] = out.stdout.toString().split(`${SEPARATOR}\n`);
      if (out.exitCode !== 0 || !release) throw fail(`host ${node.name}: could not read its tags and /etc/os-release (exit code ${out.exitCode}): ${out.stderr.toString().trim().split('\n').pop() ?? ''}`);
      return { tags: parseTags(tagText), os: parseOsRelease(release) };
    },
    async write(node, tags, conn, signal) {
      const path = tagsPath(node);
      const merged = JSON.stringify({ ...node.tags, ...tags });
      // The tags are in the command (printf is the shell's own: in no process list), so the
      // write needs no stdin and runs on the channel the operation already has open. 0600:
      // tags may hold generated secrets.
      const write = sh`{ [ -d ${dirname(path)} ] || mkdir -p ${dirname(path)}; } && umask 077 && printf '%s' ${merged} >${`${path}.new`} && mv ${`${path}.new`} ${path}`;
      const out = await conn.run(write.text, { keepChannel: true, ...(signal ? { signal } : {}) });
      if (out.exitCode !== 0) throw fail(`host ${node.name}: could not write its tags to ${path} (exit code ${out.exitCode}): ${out.stderr.toString().trim()}`);
    },
  };

  const withHost = async <R>(node: NodeInfo, fn: (c: Connection) => Promise<R>, signal?: AbortSignal): Promise<R> => {
    const conn = await sshTransport.connect(node, { timeoutMs: 15_000, ...(signal ? { signal } : {}) });
    try {
      return await fn(conn);
    } finally {
      conn.close();
    }
  };

  const listed = (group: string) => hosts.filter((h) => h.group === group).length;
  const hostsOf = (group: string) => `${listed(group)} host${listed(group) === 1 ? '' : 's'}`;

  return {
    name: 'hosts',
    nodeState,
    async validate(_spec, count, group) {
      if (count > listed(group)) throw fail(`cannot create machines: the list has ${hostsOf(group)} in this group; converge it to at most ${listed(group)}`);
    },
    async listNodes(stack) {
      return hosts.map((h) => describe(stack, h));
    },
    async createNode(req) {
      throw fail(`cannot create machines: group ${req.group} lists ${hostsOf(req.group)}; converge it to at most ${listed(req.group)}`);
    },
    async destroyNode(node) {
      throw fail(`cannot remove machines: ${node.name} stays; take it out of the hosts list instead`);
    },
    async pinHostKey(node, key, _signal, at) {
      known.record(at?.host ?? node.ssh.host, at?.port ?? node.ssh.port, key);
    },
    // From code, outside an operation: one connection of its own.
    async tagNode(node, tags, signal) {
      await withHost(node, async (c) => nodeState.write({ ...node, tags: { ...(await nodeState.read(node, c, signal)).tags, ...node.tags } }, tags, c, signal), signal);
    },
  };
}

function readable(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
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
