// The compute service every provider implements (Pallet's ComputeService).
// The engine only ever sees this interface; it never imports a concrete provider.
import type { NodeSpec } from '../spec/node.ts';
import type { Connection, SshEndpoint } from '../transport/types.ts';

/** Tag keys forklift writes on every node. The cloud's own tags are the only record of a stack. */
export const TAG = {
  stack: 'forklift-stack',
  group: 'forklift-group',
  /** "true" once bootstrap succeeded on the node (Pallet's pallet-state {:bootstrapped true}). */
  bootstrapped: 'forklift-bootstrapped',
  /** The image a provider made the node from, e.g. "debian-12" (the provider's own record). */
  image: 'forklift-image',
  /** The node's host key, pinned on first contact, where the provider keeps it in tags (CloudStack). */
  hostKey: 'forklift-host-key',
  /** The node's facts as last read on it (compact JSON; the engine's cache, see shell/facts.ts). */
  facts: 'forklift-facts',
} as const;

export type Tags = Record<string, string>;

/** The node's operating system, as the provider reports it or as detected on the node. */
export interface NodeOs {
  /** e.g. "debian", "ubuntu" (os-release ID). */
  family: string;
  /** e.g. "12", "22.04" (os-release VERSION_ID); "" when unknown. */
  version: string;
}

export type NodeState = 'running' | 'stopped' | 'pending' | 'error';

/** A node as the provider reports it; everything here is read back from the cloud. */
export interface NodeInfo {
  /** Provider-unique, stable id (container name, VM uuid). */
  id: string;
  /** Human name, unique within the stack (e.g. "web-3f9a"). */
  name: string;
  group: string;
  /** Address forklift and other nodes use to reach it. */
  address: string;
  state: NodeState;
  tags: Tags;
  os: NodeOs;
  ssh: SshEndpoint;
  /**
   * The node's variables, where the provider has them (hosts: the inventory's host and
   * group vars, merged as Ansible merges them). Plain data; plans read them as ctx.node.vars.
   */
  vars?: Record<string, unknown>;
}

export interface CreateNodeRequest {
  stack: string;
  group: string;
  /** Unique name chosen by the engine before creation, so an interrupted create can be found again. */
  name: string;
  nodeSpec: NodeSpec;
  /** Tags to write in the same step that creates the node. */
  tags: Tags;
}

/** Who takes a stack's operator lock: named to another operator, and used to tell a holder that died. */
export interface LockHolder {
  /** The operation, e.g. "converge". */
  operation: string;
  /** The machine's host name. */
  host: string;
  pid: number;
  /** When the lock was taken (ISO 8601). */
  since: string;
}

export interface Provider {
  readonly name: string;
  /** Every node of this stack (filtered by the stack tag, never by name). */
  listNodes(stack: string, signal?: AbortSignal): Promise<NodeInfo[]>;
  /**
   * What an interrupted create left before the node carried its tags: resources the
   * provider recognizes, by the exact names it gives them, as made for this stack (e.g.
   * a VM whose displayname is "<stack>/<name>"). Returned as nodes with no group, state
   * "error"; converge and destroy remove them with destroyNode while holding the stack's
   * lock. Providers that tag in the same step that creates leave it out.
   */
  listUntagged?(stack: string, signal?: AbortSignal): Promise<NodeInfo[]>;
  /** Create one node, tagged at creation, and return once it answers SSH. */
  createNode(req: CreateNodeRequest, signal?: AbortSignal): Promise<NodeInfo>;
  /** Remove one node and everything the provider made for it. Idempotent. */
  destroyNode(node: NodeInfo, signal?: AbortSignal): Promise<void>;
  /** Merge tags into the node's tags. */
  tagNode(node: NodeInfo, tags: Tags, signal?: AbortSignal): Promise<void>;
  /**
   * Record the host key ("type base64") a node presented on first contact, when its
   * `ssh.hostKey` was unset, so that from then on its `ssh.hostKey` pins that key. Throws
   * when the key must not be accepted (e.g. known as revoked). Providers that always know
   * their nodes' keys (local: it made them) leave it out. With `at`, the key is a jump host's
   * (`ssh.jump`, unpinned), presented at that address on the way to the node.
   */
  pinHostKey?(node: NodeInfo, key: string, signal?: AbortSignal, at?: HostPort): Promise<void>;
  /**
   * For providers whose nodes hold their own state (hosts: tags in a file on the node, the
   * OS read there): listNodes does not connect, and the engine reads a node's state over the
   * connection it opens for its work, the first command on it, and writes tags over it: one
   * connection per node per operation.
   */
  nodeState?: NodeStateAccess;
  /**
   * Check, before anything is created, that a group of `count` nodes of this spec can be
   * made (image exists, sizes fit, room for that many). Throws a ProviderError naming what
   * exists; the engine adds the group's name.
   */
  validate?(spec: NodeSpec, count: number, group: string): Promise<void>;
  /**
   * Take the stack's operator lock for a changing operation, so that two operators do
   * not converge one stack at once; resolves with its release. Throws a ProviderError
   * naming the holder when someone else has it. A lock whose holder is known to be gone
   * (it ran on this host and its process ended) is taken over. Providers without a lock
   * leave it out.
   */
  lockStack?(stack: string, holder: LockHolder): Promise<() => Promise<void>>;
  /**
   * Remove a lock left by a holder that died without releasing it (where the lock does
   * not end with its process). Resolves with the former holder, or undefined when unlocked.
   */
  breakLock?(stack: string): Promise<string | undefined>;
  /** Release connections, timers. */
  close?(): Promise<void>;
}

/** Where a key was presented: a jump host's address (Provider.pinHostKey), when not the node's own. */
export interface HostPort {
  host: string;
  port: number;
}

export interface NodeStateAccess {
  /** The node's stored tags and its OS, read over `conn`. Throws a ForkliftError when they cannot be read. */
  read(node: NodeInfo, conn: Connection, signal?: AbortSignal): Promise<Pick<NodeInfo, 'tags' | 'os'>>;
  /** Merge `tags` into the node's stored tags (`node.tags` are those read), over `conn`. */
  write(node: NodeInfo, tags: Tags, conn: Connection, signal?: AbortSignal): Promise<void>;
}

/** Progress messages a provider may emit (host preparation, image build). */
export type ProviderLog = (message: string) => void;

/** What forklift hands a provider besides its options. */
export interface ProviderContext {
  log: ProviderLog;
}
