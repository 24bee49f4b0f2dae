// The compute service every provider implements (Pallet's ComputeService).
// The engine only ever sees this interface; it never imports a concrete provider.
import type { NodeSpec } from '../spec/node.ts';

/** Tag keys forklift writes on every node. The cloud's own tags are the only record of a stack. */
export const TAG = {
  stack: 'forklift-stack',
  group: 'forklift-group',
  /** "true" once bootstrap succeeded on the node (Pallet's pallet-state {:bootstrapped true}). */
  bootstrapped: 'forklift-bootstrapped',
  /** Image facts, e.g. "debian-12". */
  image: 'forklift-image',
} as const;

export type Tags = Record<string, string>;

/** How to reach a node over SSH. */
export interface SshEndpoint {
  host: string;
  port: number;
  user: string;
  /** PEM/OpenSSH private key text. Never logged. */
  privateKey: string;
  /** Expected host key (OpenSSH "ssh-ed25519 AAAA..." public key line); when set, any other key is refused. */
  hostKey?: string;
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
  ssh: SshEndpoint;
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

export interface Provider {
  readonly name: string;
  /** Every node of this stack (filtered by the stack tag, never by name). */
  listNodes(stack: string, signal?: AbortSignal): Promise<NodeInfo[]>;
  /** Create one node, tagged at creation, and return once it answers SSH. */
  createNode(req: CreateNodeRequest, signal?: AbortSignal): Promise<NodeInfo>;
  /** Remove one node and everything the provider made for it. Idempotent. */
  destroyNode(node: NodeInfo, signal?: AbortSignal): Promise<void>;
  /** Merge tags into the node's tags. */
  tagNode(node: NodeInfo, tags: Tags, signal?: AbortSignal): Promise<void>;
  /** Check a node spec can be satisfied before anything is created (image exists, sizes fit). Throws a ProviderError naming what exists. */
  validate?(group: string, spec: NodeSpec): Promise<void>;
  /**
   * Take the stack's operator lock for a changing operation, so that two operators do
   * not converge one stack at once; resolves with its release. Throws a ProviderError
   * naming the holder when someone else has it. Providers without a lock leave it out.
   */
  lockStack?(stack: string, holder: string): Promise<() => Promise<void>>;
  /**
   * Remove a lock left by a holder that died without releasing it (where the lock does
   * not end with its process). Resolves with the former holder, or undefined when unlocked.
   */
  breakLock?(stack: string): Promise<string | undefined>;
  /** Release connections, timers. */
  close?(): Promise<void>;
}

/** Progress messages a provider may emit (host preparation, image build). */
export type ProviderLog = (message: string) => void;
