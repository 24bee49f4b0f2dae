// What every operation shares: the stack (validated here, at the library's edge), its
// provider, one connection per node over the transport, events, cancellation.
import { z } from 'zod';
import { CancelledError } from '../errors.ts';
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
import { Sessions } from './sessions.ts';
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
      pin && ((node, key) => pin(node, key, options.signal)),
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

  /** Merge tags into a node's tags. */
  async tagNode(node: NodeInfo, tags: Tags): Promise<void> {
    await this.provider.tagNode(node, tags, this.signal);
  }

  async listNodes(): Promise<NodeInfo[]> {
    const nodes = await this.provider.listNodes(this.stack.stack, this.signal);
    // Providers filter by the stack tag; check again, since a wrong filter destroys other stacks' nodes.
    return nodes.filter((n) => n.tags[TAG.stack] === this.stack.stack).sort((a, b) => a.group.localeCompare(b.group) || a.name.localeCompare(b.name));
  }

  /** Hold the stack's operator lock (when the provider has one) until close(). */
  async lock(operation: string): Promise<void> {
    this.unlock = await this.provider.lockStack?.(this.stack.stack, `forklift ${operation} (pid ${process.pid}, since ${new Date().toISOString()})`);
  }

  async close(): Promise<void> {
    await this.sessions.closeAll();
    await this.unlock?.();
    if (this.ownsProvider) await this.provider.close?.();
  }
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
  const op = await Operation.open(stack, options);
  try {
    if (lockAs) await op.lock(lockAs);
    return await fn(op);
  } finally {
    await op.close();
  }
}
