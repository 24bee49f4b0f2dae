// One connection per node for the length of an operation, over whatever transport the
// operation was given (SSH by default).
//
// Host keys are pinned on first contact: a node (or a jump host on the way to it) with no
// recorded key is connected to once without a check, and the key it presented is recorded
// through the provider before anything runs on it; from then on (this operation's
// reconnects, and every later operation, which read it back from the provider) any other
// key is refused.
//
// A node that could not be reached stays unreachable for the operation: its next use fails
// at once with the same error, rather than waiting out another connect timeout.
import { TransportError } from '../errors.ts';
import type { HostPort, NodeInfo } from '../providers/types.ts';
import type { ConnectOptions, Connection, SshEndpoint, Transport } from '../transport/types.ts';

/** Record the host key a node (or, with `at`, a jump host on the way to it) presented on first contact (Provider.pinHostKey). */
export type PinHostKey = (node: NodeInfo, key: string, at?: HostPort) => Promise<void>;

/** Keys this operation pinned for a node: its own, and its jump hosts' in the order they are contacted. */
interface Pins {
  key: string | undefined;
  jumps: Array<string | undefined>;
}

export class Sessions {
  private readonly connections = new Map<string, Promise<Connection>>();
  /** Keys pinned by this operation, by node id, for its reconnects. */
  private readonly pinned = new Map<string, Pins>();

  constructor(
    private readonly transport: Transport,
    private readonly options: ConnectOptions = {},
    private readonly pin?: PinHostKey,
  ) {}

  get(node: NodeInfo): Promise<Connection> {
    let conn = this.connections.get(node.id);
    if (!conn) {
      conn = this.open(node);
      conn.catch(() => undefined);
      this.connections.set(node.id, conn);
    }
    return conn;
  }

  /**
   * Run `fn` on the node's connection. When the connection turns out to be gone before the
   * command started (dropped between phases, say), connect once more and run it there;
   * a connection lost while the command ran is not retried (it may have partly run).
   */
  async run<T>(node: NodeInfo, fn: (conn: Connection) => Promise<T>): Promise<T> {
    try {
      return await fn(await this.get(node));
    } catch (error) {
      if (!(error instanceof TransportError) || error.code !== 'DISCONNECTED') throw error;
      this.drop(node.id);
      return fn(await this.get(node));
    }
  }

  /** Close a node's connection (a removed node, a connection left unusable by a timeout). */
  drop(nodeId: string): void {
    const conn = this.connections.get(nodeId);
    this.connections.delete(nodeId);
    conn?.then((c) => c.close(), () => undefined);
  }

  /** Close the node's connection and fail every later use of it in this operation with `error`. */
  fail(nodeId: string, error: Error): void {
    this.drop(nodeId);
    const failed = Promise.reject(error);
    failed.catch(() => undefined);
    this.connections.set(nodeId, failed);
  }

  async closeAll(): Promise<void> {
    const all = [...this.connections.values()];
    this.connections.clear();
    await Promise.all(all.map((c) => c.then((x) => x.close(), () => undefined)));
  }

  private async open(node: NodeInfo): Promise<Connection> {
    const ssh = withPins(node.ssh, this.pinned.get(node.id));
    const conn = await this.transport.connect({ name: node.name, ssh }, this.options);
    if (!this.pin) return conn;
    const chain = jumpChain(ssh);
    const pins: Pins = { key: ssh.hostKey, jumps: chain.map((j) => j.hostKey) };
    try {
      for (const [i, jump] of chain.entries()) {
        const key = conn.jumpHostKeys?.[i];
        if (jump.hostKey !== undefined || key === undefined) continue;
        await this.pin(node, key, { host: jump.host, port: jump.port });
        pins.jumps[i] = key;
      }
      if (ssh.hostKey === undefined && conn.hostKey !== undefined) {
        await this.pin(node, conn.hostKey);
        pins.key = conn.hostKey;
      }
    } catch (error) {
      conn.close();
      throw error;
    }
    this.pinned.set(node.id, pins);
    return conn;
  }
}

/** The jump hosts on the way to a node, in the order they are contacted. */
function jumpChain(e: SshEndpoint): SshEndpoint[] {
  const chain: SshEndpoint[] = [];
  for (let j = e.jump; j; j = j.jump) chain.unshift(j);
  return chain;
}

/** The endpoint with the keys this operation pinned filled in where it had none. */
function withPins(e: SshEndpoint, pins: Pins | undefined): SshEndpoint {
  if (!pins) return e;
  let jump: SshEndpoint | undefined;
  for (const [i, j] of jumpChain(e).entries()) {
    const hostKey = j.hostKey ?? pins.jumps[i];
    jump = { ...j, ...(jump ? { jump } : {}), ...(hostKey !== undefined ? { hostKey } : {}) };
  }
  const hostKey = e.hostKey ?? pins.key;
  return { ...e, ...(jump ? { jump } : {}), ...(hostKey !== undefined ? { hostKey } : {}) };
}
