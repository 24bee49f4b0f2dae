// What every operation shares: the stack (validated here, at the library's edge), its
// provider, one connection per node over the transport, events, cancellation.
import { hostname } from 'node:os';
import { z } from 'zod';
import { CancelledError, ForkliftError } from '../errors.ts';
import type { StackConfig } from '../config/define.ts';
import { validateStack } from '../config/stack.ts';
import { openProvider } from '../providers/registry.ts';
import type { NodeInfo, Provider, Tags } from '../providers/types.ts';
import { TAG } from '../providers/types.ts';
import { decodeFacts } from '../shell/facts.ts';
import type { GroupSpec } from '../spec/group.ts';
import type { NodeRef } from '../spec/plan.ts';
import { sshTransport } from '../transport/ssh.ts';
import type { Transport } from '../transport/types.ts';
import type { EventListener, ForkliftEvent } from './events.ts';
import { mapLimit } from './limit.ts';
import { Sessions } from './sessions.ts';
import { compareText } from '../text.ts';
import { parseSpec } from '../validate.ts';

export interface OperationOptions {
  /** Progress events, as they happen. */
  onEvent?: EventListener;
  /** Abort to stop the operation as cleanly as Ctrl-C does. */
  signal?: AbortSignal;
  /** Nodes worked on at once (default 64). */
  concurrency?: number;
  /** Connect timeout per node, ms (default 30 000). */
  connectTimeoutMs?: number;
  /** How long one node's phase script may run, ms (default 30 minutes); then it is stopped and the node fails. */
  scriptTimeoutMs?: number;
  /** How forklift reaches nodes (default: SSH). Tests pass a fake one. */
  transport?: Transport;
  /** Emit a `node-script` event with each node's phase script, as shown (secrets as ***), before it runs (the CLI's -v). */
  scripts?: boolean;
  /** Diffs of what file-like actions change, also when applying (`lift --diff`); dry runs always have them. */
  diff?: boolean;
}

const wholeMs = z.number().int('must be a whole number of milliseconds').positive();

/** The options every operation takes, checked when it starts (an operation's own options pass through). */
export const operationOptionsSchema = z
  .object({
    onEvent: z.custom<EventListener>((v) => typeof v === 'function', 'must be a function').optional(),
    signal: z.custom<AbortSignal>((v) => v instanceof AbortSignal, 'must be an AbortSignal').optional(),
    concurrency: z.number().int().positive().optional(),
    connectTimeoutMs: wholeMs.optional(),
    scriptTimeoutMs: wholeMs.optional(),
    transport: z.custom<Transport>((v) => typeof (v as Transport | undefined)?.connect === 'function', 'must be a Transport').optional(),
    scripts: z.boolean().optional(),
    diff: z.boolean().optional(),
  })
  .passthrough();

/** A node together with the group spec that configures it. */
export interface StackNode {
  info: NodeInfo;
  group: GroupSpec;
  ref: NodeRef;
}

export class Operation {
  readonly sessions: Sessions;
  private unlock: (() => Promise<void>) | undefined;

  private constructor(
    readonly stack: StackConfig,
    readonly provider: Provider,
    private readonly options: OperationOptions,
    private readonly ownsProvider: boolean,
  ) {
    const pin = provider.pinHostKey?.bind(provider);
    this.sessions = new Sessions(
      options.transport ?? sshTransport,
      { timeoutMs: options.connectTimeoutMs ?? 30_000, ...(options.signal ? { signal: options.signal } : {}) },
      pin && ((node, key, at) => pin(node, key, options.signal, at)),
    );
  }

  static async open(config: StackConfig, options: OperationOptions = {}): Promise<Operation> {
    const stack = validateStack(config);
    parseSpec(operationOptionsSchema, options, 'options');
    const configured = stack.provider ?? { name: 'local' as const };
    if ('listNodes' in configured) return new Operation(stack, configured, options, false);
    const emit = options.onEvent;
    const provider = await openProvider(configured, { log: (message) => emit?.({ type: 'provider', message }) });
    return new Operation(stack, provider, options, true);
  }

  get signal(): AbortSignal | undefined {
    return this.options.signal;
  }

  get concurrency(): number {
    return this.options.concurrency ?? 64;
  }

  /** Whether node-script events are wanted (rendering the shown text of every script costs memory at scale). */
  get showScripts(): boolean {
    return this.options.scripts === true;
  }

  get diff(): boolean {
    return this.options.diff === true;
  }

  get scriptTimeoutMs(): number {
    return this.options.scriptTimeoutMs ?? 30 * 60_000;
  }

  emit(event: ForkliftEvent): void {
    this.options.onEvent?.(event);
  }

  throwIfCancelled(): void {
    if (this.options.signal?.aborted) throw new CancelledError();
  }

  /** The stack's nodes whose group this stack file defines, paired with their group spec. */
  stackNodes(infos: readonly NodeInfo[]): StackNode[] {
    const groups = new Map(this.stack.groups.map((g) => [g.name, g]));
    return infos.flatMap((info) => {
      const group = groups.get(info.group);
      return group ? [{ info, group, ref: toRef(info, group) }] : [];
    });
  }

  /**
   * The stack's nodes. Where nodes hold their own state (Provider.nodeState), the state of
   * each running node that `reach` selects (default: all) is read over the connection the
   * operation then works on; the others are returned as listed, not contacted.
   */
  async listNodes(reach: (node: NodeInfo) => boolean = () => true): Promise<NodeInfo[]> {
    return this.readState(await this.listed(), reach);
  }

  /** The stack's nodes as the provider lists them, contacting none. */
  async listed(): Promise<NodeInfo[]> {
    const listed = await this.provider.listNodes(this.stack.stack, this.signal);
    // Providers filter by the stack tag; check again, since a wrong filter destroys other stacks' nodes.
    return listed.filter((n) => n.tags[TAG.stack] === this.stack.stack).sort((a, b) => compareText(a.group, b.group) || compareText(a.name, b.name));
  }

  /** What an interrupted create left before it was tagged (providers that can tell); only for callers holding the stack's lock. */
  async listUntagged(): Promise<NodeInfo[]> {
    return (await this.provider.listUntagged?.(this.stack.stack, this.signal)) ?? [];
  }

  /** `nodes` with the state of those `reach` selects read over their connections (Provider.nodeState). */
  async readState(nodes: NodeInfo[], reach: (node: NodeInfo) => boolean = () => true): Promise<NodeInfo[]> {
    const state = this.provider.nodeState;
    if (!state) return nodes;
    return mapLimit(nodes, this.concurrency, async (node) => {
      if (node.state !== 'running' || !reach(node)) return node;
      try {
        const read = await this.sessions.run(node, (conn) => state.read(node, conn, this.signal));
        return { ...node, os: read.os, tags: { ...read.tags, ...node.tags } };
      } catch (error) {
        if (!(error instanceof ForkliftError) || error instanceof CancelledError) throw error;
        // Unreachable, or its state unreadable: listed as configured; its work fails by name, at once.
        this.sessions.fail(node.id, error);
        return node;
      }
    });
  }

  /** Merge tags into a node's tags: over its connection where nodes hold their own state. */
  async tagNode(node: NodeInfo, tags: Tags): Promise<void> {
    const state = this.provider.nodeState;
    if (!state) await this.provider.tagNode(node, tags, this.signal);
    else await this.sessions.run(node, (conn) => state.write(node, tags, conn, this.signal));
    // The node's tags as they now are: a later write where nodes keep their own state writes them whole.
    Object.assign(node.tags, tags);
  }

  /** Hold the stack's operator lock (when the provider has one) until close(). */
  async lock(operation: string): Promise<void> {
    const holder = { operation, host: hostname(), pid: process.pid, since: new Date().toISOString() };
    const release = await this.provider.lockStack?.(this.stack.stack, holder);
    if (!release) return;
    let released: Promise<void> | undefined;
    const once = () => (released ??= release());
    heldLocks.add(once);
    this.unlock = async () => {
      heldLocks.delete(once);
      await once();
    };
  }

  async close(): Promise<void> {
    await this.sessions.closeAll();
    await this.unlock?.();
    if (this.ownsProvider) await this.provider.close?.();
  }
}

/** Releases of the stack locks this process holds, for a quit that cannot wait for the operation to end. */
const heldLocks = new Set<() => Promise<void>>();

/**
 * Release every stack lock this process holds, now, while operations may still be running
 * (the CLI's second Ctrl-C, before it exits). Resolves when all are released or failed.
 */
export async function releaseHeldLocks(): Promise<void> {
  await Promise.allSettled([...heldLocks].map((release) => release()));
}

export function toRef(info: NodeInfo, group: GroupSpec): NodeRef {
  const facts = decodeFacts(info.tags[TAG.facts]);
  return { id: info.id, name: info.name, group: info.group, address: info.address, roles: group.roles, ...(info.vars ? { vars: info.vars } : {}), ...(facts ? { facts } : {}) };
}

/**
 * Run `fn` with an open operation and always release it. An operation that changes the
 * stack names itself in `lockAs` and holds the stack's operator lock throughout.
 */
export async function withOperation<R>(stack: StackConfig, options: OperationOptions, fn: (op: Operation) => Promise<R>, lockAs?: string): Promise<R> {
  const started = Date.now();
  const op = await Operation.open(stack, options);
  try {
    if (lockAs) await op.lock(lockAs);
    return await fn(op);
  } finally {
    try {
      await op.close();
    } finally {
      op.emit({ type: 'operation-end', ms: Date.now() - started });
    }
  }
}
