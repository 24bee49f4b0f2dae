// An in-memory cloud for engine tests: a Provider whose nodes are records, and a Transport
// whose hosts read the phase scripts they are sent. A host answers each action's block the
// way a real node would the first time and the second time: changed once, then ok (in a
// check, would-change), handlers when a trigger changed. No root, no LXC, no network.
// Faults that cannot be caused on demand on a real node are switches on a host (down,
// failing, dropped or lost connections, a presented host key). A host has facts (Debian 12
// unless a test changes them), which it prints as a real node does: when asked, and at the
// end of every script; and it reads the streamed content a changed file asks for.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { FACTS_MARK, GATHER_FACTS, type NodeFacts } from '../../src/shell/facts.ts';
import { CancelledError, ForkliftError, TransportError } from '../../src/errors.ts';
import type { NodeInfo, NodeOs, Provider, Tags } from '../../src/providers/types.ts';
import { ConnectionLostError, DisconnectedError, type Endpoint } from '../../src/transport/errors.ts';
import type { ByteSource, ConnectTarget, Connection, RunOptions, RunOutput, Transport } from '../../src/transport/types.ts';

export interface FakeHost {
  readonly address: string;
  /** Every phase script this host was sent, in order. */
  readonly scripts: string[];
  /** Commands run with `run` (exec). */
  readonly commands: string[];
  /** The time limit each command and script was given (ms), in order. */
  readonly limits: Array<number | undefined>;
  /** What the host reports as its facts (change them to see plans follow). */
  facts: NodeFacts;
  /** Streamed content the host asked for and received: SHA-256 and bytes, in order. */
  readonly received: Array<{ sha256: string; bytes: number }>;
  /** Blocks (by content) already applied: their next run reports ok. */
  readonly applied: Set<string>;
  /** Whether scripts, commands and limits are kept. */
  readonly record: boolean;
  connections: number;
  /** Refuse connections, as a node that is down. */
  down: boolean;
  /** The action with this label fails with exit code 1 and this stderr. */
  failing?: { label: string; stderr: string };
  /** Answer `run` commands: exit code and stdout. */
  answer?: (command: string) => { exitCode: number; stdout: string };
  /** The host key it presents ("type base64"); a connection pinned to another key is refused. */
  hostKey?: string;
  /** Drop every open connection, as sshd killed between phases: their next command finds them gone. */
  dropConnections(): void;
  /** Lose the connection while the next script runs, after this many of its actions reported. */
  loseMidScript?: number;
}

export interface FakeCloud {
  provider: Provider;
  transport: Transport;
  /** Hosts by address. */
  hosts: Map<string, FakeHost>;
  /** The host behind a node, by node name. */
  host(name: string): FakeHost;
  created: number;
  destroyed: number;
  /** Host keys recorded through Provider.pinHostKey. */
  pins: number;
  /** Calls of Provider.tagNode. */
  tagWrites: number;
  /** Give a node variables, as an inventory would (NodeInfo.vars). */
  setVars(name: string, vars: Record<string, unknown>): void;
}

const DEBIAN: NodeOs = { family: 'debian', version: '12' };

export interface FakeCloudOptions {
  os?: NodeOs;
  /** Keep every script and command each host was sent (default true); benches at 50,000 nodes turn it off. */
  record?: boolean;
}

export function fakeCloud(options: FakeCloudOptions = {}): FakeCloud {
  const nodes = new Map<string, NodeInfo>();
  const hosts = new Map<string, FakeHost>();
  let serial = 0;
  const cloud: FakeCloud = {
    hosts,
    created: 0,
    destroyed: 0,
    pins: 0,
    tagWrites: 0,
    setVars(name, vars) {
      const node = [...nodes.values()].find((n) => n.name === name);
      if (!node) throw new Error(`fake cloud: no node ${name}`);
      node.vars = vars;
    },
    host(name) {
      const node = [...nodes.values()].find((n) => n.name === name);
      if (!node) throw new Error(`fake cloud: no node ${name}`);
      return hosts.get(node.address)!;
    },
    provider: {
      name: 'fake',
      async listNodes(stack) {
        return [...nodes.values()].filter((n) => n.tags['forklift-stack'] === stack).map((n) => ({ ...n, tags: { ...n.tags } }));
      },
      async createNode(req) {
        const n = ++serial;
        const address = `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
        const node: NodeInfo = {
          id: `fake-${n}`,
          name: req.name,
          group: req.group,
          address,
          state: 'running',
          tags: { ...req.tags },
          os: options.os ?? DEBIAN,
          ssh: { host: address, port: 22, user: 'root', privateKey: 'fake' },
        };
        nodes.set(node.id, node);
        hosts.set(address, newHost(address, req.name, node.os, options.record ?? true));
        cloud.created++;
        return { ...node, tags: { ...node.tags } };
      },
      async destroyNode(node) {
        if (nodes.delete(node.id)) cloud.destroyed++;
        hosts.delete(node.address);
      },
      async tagNode(node, tags: Tags) {
        const stored = nodes.get(node.id);
        if (!stored) throw new ForkliftError(`fake: node ${node.name} does not exist`, 'PROVIDER');
        cloud.tagWrites++;
        Object.assign(stored.tags, tags);
      },
      async pinHostKey(node, key) {
        const stored = nodes.get(node.id);
        if (!stored) throw new ForkliftError(`fake: node ${node.name} does not exist`, 'PROVIDER');
        cloud.pins++;
        stored.ssh = { ...stored.ssh, hostKey: key };
      },
    },
    transport: {
      name: 'fake',
      async connect(target: ConnectTarget) {
        const host = hosts.get(target.ssh.host);
        if (!host || host.down) throw new TransportError(target.name, target.ssh.host, 'connect ECONNREFUSED');
        if (target.ssh.hostKey && host.hostKey && target.ssh.hostKey !== host.hostKey) {
          throw new TransportError(target.name, target.ssh.host, 'host key changed', 'HOST_KEY', { port: target.ssh.port });
        }
        host.connections++;
        return new FakeConnection(host, { node: target.name, host: target.ssh.host, port: target.ssh.port });
      },
    },
  };
  return cloud;
}

/** Facts a fake host starts with. */
export function fakeFacts(hostname: string, address: string, os: NodeOs = DEBIAN): NodeFacts {
  const codename = os.family === 'debian' && os.version === '12' ? 'bookworm' : '';
  return { os: { family: os.family, version: os.version, codename, like: [] }, architecture: 'x86_64', packageArchitecture: 'amd64', cpus: 2, memoryMiB: 1024, hostname, address, kernel: '6.1.0-fake' };
}

/** The facts record a node prints (shell/facts.ts). */
export function factsRecord(f: NodeFacts): string {
  const body = [
    `ID=${f.os.family}`, `VERSION_ID="${f.os.version}"`, `VERSION_CODENAME=${f.os.codename}`, ...(f.os.like.length ? [`ID_LIKE="${f.os.like.join(' ')}"`] : []),
    `mem=${f.memoryMiB * 1024}`, `uname=${f.hostname} ${f.kernel} ${f.architecture}`, `cpus=${f.cpus}`, `dpkg=${f.packageArchitecture}`,
    `route=1.1.1.1 via 10.0.0.1 dev eth0 src ${f.address} uid 0`, '',
  ].join('\n');
  return `\n${FACTS_MARK} ${Buffer.byteLength(body)}\n${body}`;
}

function newHost(address: string, name: string, os: NodeOs, record: boolean): FakeHost {
  const host: FakeHost = {
    address, scripts: [], commands: [], limits: [], applied: new Set(), record, connections: 0, down: false, facts: fakeFacts(name, address, os), received: [],
    dropConnections: () => void (generations.set(host, (generations.get(host) ?? 0) + 1)),
  };
  return host;
}

/** How many times each host dropped its connections; a connection opened before the last drop is gone. */
const generations = new WeakMap<FakeHost, number>();

class FakeConnection implements Connection {
  private readonly generation: number;
  readonly hostKey: string | undefined;

  constructor(
    private readonly host: FakeHost,
    private readonly at: Endpoint,
  ) {
    this.generation = generations.get(host) ?? 0;
    this.hostKey = host.hostKey;
  }

  private check(): void {
    if ((generations.get(this.host) ?? 0) !== this.generation) throw new DisconnectedError(this.at, 'Not connected');
  }

  async runScript(script: string, options: RunOptions = {}): Promise<RunOutput> {
    if (options.signal?.aborted) throw new CancelledError();
    this.check();
    if (this.host.record) {
      this.host.scripts.push(script);
      this.host.limits.push(options.timeoutMs);
    }
    let stdout = answerScript(this.host, script, options.sources);
    if (this.host.loseMidScript !== undefined) {
      const keep = this.host.loseMidScript;
      delete this.host.loseMidScript;
      this.host.dropConnections();
      const marks = [...stdout.matchAll(/\n@@forklift /g)];
      stdout = stdout.slice(0, marks[keep]?.index ?? stdout.length);
      throw new ConnectionLostError(this.at, Buffer.from(stdout), Buffer.alloc(0));
    }
    return { exitCode: 0, stdout: Buffer.from(stdout), stderr: Buffer.alloc(0) };
  }

  async run(command: string, options: RunOptions = {}): Promise<RunOutput> {
    if (options.signal?.aborted) throw new CancelledError();
    this.check();
    if (this.host.record) {
      this.host.commands.push(command);
      this.host.limits.push(options.timeoutMs);
    }
    if (command === GATHER_FACTS) return { exitCode: 0, stdout: Buffer.from(factsRecord(this.host.facts)), stderr: Buffer.alloc(0) };
    const { exitCode, stdout } = this.host.answer?.(command) ?? { exitCode: 0, stdout: '' };
    return { exitCode, stdout: Buffer.from(stdout), stderr: Buffer.alloc(0) };
  }

  close(): void {}
}

interface ScriptBlock {
  index: number;
  label: string;
  text: string;
  /** The read-only checks of its steps (none: the block always applies). */
  checks: string[];
  /** Handler: the blocks whose change triggers it. */
  triggers?: number[];
}

// A check runs as `(set -e <check>) </dev/null >/dev/null 2>&1`; an apply's output goes to files instead.
const CHECK = /\(set -e\n((?:(?!\n\) <\/dev\/null )[\s\S])*)\n\) <\/dev\/null >\/dev\/null 2>&1; fl_rc=\$\?/g;

/** The action blocks of a phase script, as renderScript writes them. */
export function scriptBlocks(script: string): { mode: 'apply' | 'check'; blocks: ScriptBlock[] } {
  const mode = /^# forklift check script/.test(script) ? 'check' : 'apply';
  const starts = [...script.matchAll(/^# (\d+): (.*)$/gm)];
  const blocks = starts.map((m, i) => {
    const text = script.slice(m.index, starts[i + 1]?.index ?? script.length);
    const cond = /^if ((?:\[ "\$fl_c\d+" = 1 \] \|\| )+)\[ -e "\$fl_pending\/.*; then$/m.exec(text);
    const triggers = cond ? [...cond[1]!.matchAll(/fl_c(\d+)/g)].map((t) => Number(t[1])) : undefined;
    const checks = [...text.matchAll(CHECK)].map((c) => c[1]!);
    return { index: Number(m[1]), label: m[2]!, text, checks, ...(triggers ? { triggers } : {}) };
  });
  return { mode, blocks };
}

/** Read a source as the transport would send it; the fake host keeps its hash and size. */
function receive(host: FakeHost, sha256: string, sources: ReadonlyMap<string, ByteSource> | undefined): void {
  const source = sources?.get(sha256);
  if (!source) throw new Error(`fake host ${host.address}: asked for ${sha256}, which the run does not offer`);
  const bytes = source.bytes ?? readFileSync(source.path!);
  host.received.push({ sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length });
}

function answerScript(host: FakeHost, script: string, sources?: ReadonlyMap<string, ByteSource>): string {
  const { mode, blocks } = scriptBlocks(script);
  const changed = new Set<number>();
  let out = '';
  const changedStatus = mode === 'check' ? 'would-change' : 'changed';
  for (const block of blocks) {
    // A block is in its desired state once applied with the same checks (a step without one always applies).
    const key = createHash('sha256').update(`${block.label}\0${block.checks.join('\0')}`).digest('hex');
    let status: string;
    if (host.failing && block.label === host.failing.label) {
      const err = Buffer.from(host.failing.stderr);
      return `${out}\n@@forklift ${block.index} failed 1 0 ${err.length}\n${err}`;
    }
    if (block.triggers) status = block.triggers.some((t) => changed.has(t)) ? changedStatus : 'skipped';
    else if (block.checks.length && host.applied.has(key)) status = 'ok';
    else status = changedStatus;
    if (status === changedStatus) changed.add(block.index);
    if (mode === 'apply' && status === 'changed' && !block.triggers && block.checks.length) host.applied.add(key);
    if (mode === 'apply' && status === 'changed') for (const need of block.text.matchAll(/^ *fl_need ([0-9a-f]{64}) |^fl_put .* ([0-9a-f]{64}) \d+ \d+$/gm)) receive(host, (need[1] ?? need[2])!, sources);
    out += `\n@@forklift ${block.index} ${status} 0 0 0\n`;
  }
  return /^fl_facts\b/m.test(script) ? out + factsRecord(host.facts) : out;
}
