// One connection per node for the length of an operation, over whatever transport the
// operation was given (SSH by default).
//
// Host keys are pinned on first contact: a node with no recorded key is connected to once
// without a check, and the key it presented is recorded through the provider before anything
// runs on it; from then on (this operation's reconnects, and every later operation, which
// read it back from the provider) any other key is refused.
import { TransportError } from '../errors.ts';
import type { NodeInfo } from '../providers/types.ts';
import type { ConnectOptions, Connection, Transport } from '../transport/types.ts';

/** Record the host key a node presented on first contact (Provider.pinHostKey). */
export type PinHostKey = (node: NodeInfo, key: string) => Promise<void>;

export class Sessions {
  private readonly connections = new Map<string, Promise<Connection>>();
  /** Keys pinned by this operation, by node id, for its reconnects. */
  private readonly pinned = new Map<string, string>();

  constructor(
    private readonly transport: Transport,
    private readonly options: ConnectOptions = {},
    private readonly pin?: PinHostKey,
  ) {}

  get(node: NodeInfo): Promise<Connection> {
    let conn = this.connections.get(node.id);
    if (!conn) {
      const opening = this.open(node);
      conn = opening;
      opening.catch(() => {
        if (this.connections.get(node.id) === opening) this.connections.delete(node.id);
      });
      this.connections.set(node.id, opening);
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

  async closeAll(): Promise<void> {
    const all = [...this.connections.values()];
    this.connections.clear();
    await Promise.all(all.map((c) => c.then((x) => x.close(), () => undefined)));
  }

  private async open(node: NodeInfo): Promise<Connection> {
    const hostKey = node.ssh.hostKey ?? this.pinned.get(node.id);
    const ssh = hostKey === node.ssh.hostKey ? node.ssh : { ...node.ssh, hostKey: hostKey! };
    const conn = await this.transport.connect({ name: node.name, ssh }, this.options);
    if (hostKey === undefined && conn.hostKey !== undefined && this.pin) {
      try {
        await this.pin(node, conn.hostKey);
      } catch (error) {
        conn.close();
        throw error;
      }
      this.pinned.set(node.id, conn.hostKey);
    }
    return conn;
  }
}
