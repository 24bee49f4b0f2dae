// One connection per node for the length of an operation, over whatever transport the
// operation was given (SSH by default).
import type { NodeInfo } from '../providers/types.ts';
import type { ConnectOptions, Connection, Transport } from '../transport/types.ts';

export class Sessions {
  private readonly connections = new Map<string, Promise<Connection>>();

  constructor(
    private readonly transport: Transport,
    private readonly options: ConnectOptions = {},
  ) {}

  get(node: Pick<NodeInfo, 'id' | 'name' | 'ssh'>): Promise<Connection> {
    let conn = this.connections.get(node.id);
    if (!conn) {
      conn = this.transport.connect({ name: node.name, ssh: node.ssh }, this.options);
      conn.catch(() => this.connections.delete(node.id));
      this.connections.set(node.id, conn);
    }
    return conn;
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
}
