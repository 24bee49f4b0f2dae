// How the engine reaches nodes. SSH is the default transport; tests pass a fake one.
// A connection runs a phase script or a command and returns all of its output.
import type { ByteSource } from '../shell/stream.ts';

export type { ByteSource };

/** How to reach a node over SSH. */
export interface SshEndpoint {
  host: string;
  port: number;
  user: string;
  /** PEM/OpenSSH private key text. Never logged. At least one of privateKey and agent is given. */
  privateKey?: string;
  /** An ssh-agent's socket (SSH_AUTH_SOCK): its keys are offered after privateKey. */
  agent?: string;
  /**
   * The node's pinned host key: one or more lines, each an OpenSSH public key
   * ("ssh-ed25519 AAAA...") or a key type and its fingerprint ("ssh-rsa SHA256:...").
   * When set, any other key is refused, naming both fingerprints. When unset, the first
   * key is taken and reported (Connection.hostKey) so that it can be recorded.
   */
  hostKey?: string;
  /** Where the pin is recorded ("~/.forklift/known_hosts:3", "VM tag forklift-host-key"), for messages. */
  hostKeySource?: string;
  /**
   * Reach the node through this host first, as OpenSSH's ProxyJump: an SSH connection to
   * it (its own host key pinned, or reported as `jumpHostKeys`), then a TCP channel from it
   * to host:port. A jump host may have its own `jump`: a chain, the innermost
   * `jump` being the host contacted first.
   */
  jump?: SshEndpoint;
  /**
   * The user is not root: every command becomes root with `sudo -n` (never a prompt). A
   * sudo that wants a password fails the connection at once (TransportError code SUDO).
   */
  become?: boolean;
  /** Where forklift keeps its state on the node (default /var/lib/forklift): runs get FORKLIFT_STATE and FORKLIFT_PENDING (its pending/). */
  stateDir?: string;
  /**
   * Retry a refused or unreachable connect until the connect timeout (default), as for a
   * node that may still be booting; false: a machine that should be up, whose first such
   * answer fails it at once (existing hosts, as OpenSSH and Ansible do).
   */
  retry?: boolean;
}

/** What a connection is opened to: the node's name (for messages) and its endpoint. */
export interface ConnectTarget {
  name: string;
  ssh: SshEndpoint;
}

export interface ConnectOptions {
  /** Give up connecting after this long, ms (default 30 s); refusals, unreachable hosts and silent ports are retried until then. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface RunOptions {
  stdin?: string | Buffer;
  /**
   * Content the script may ask for while it runs, by SHA-256 (shell/stream.ts): its stdin
   * stays open after the script, and when it writes a need record on stdout the transport
   * writes exactly that many bytes of the source, read as they are sent (never held whole).
   */
  sources?: ReadonlyMap<string, ByteSource>;
  /** Stop the remote command and everything it started (CancelledError). */
  signal?: AbortSignal;
  /** Stop it after this long, ms (ForkliftError code TIMEOUT). */
  timeoutMs?: number;
  /**
   * The connection may run more commands: a transport that can leaves this run's channel
   * open for the next, so that an operation's commands on a node are one exec there (the
   * command gets no stdin). For commands whose output is read whole once they end and whose
   * background processes never write to it (state reads and writes, facts, phase scripts,
   * whose actions write to files); not for streamed commands (exec). A transport ignores it
   * for a run with stdin or sources.
   */
  keepChannel?: boolean;
}

export interface RunOutput {
  exitCode: number;
  stdout: Buffer;
  stderr: Buffer;
  /** Bytes of `sources` the script asked for and was sent. */
  streamed?: number;
}

export interface Connection {
  /** The host key the node presented ("type base64"), where the transport has one. */
  readonly hostKey?: string;
  /** The host keys the node's jump hosts presented ("type base64"), outermost first, where the transport has them. */
  readonly jumpHostKeys?: readonly string[];
  /**
   * Run a whole script (a phase): the transport delivers it so that no command reads it as
   * input, no process list shows it and no file holds it. Rejects with a DisconnectedError
   * when the connection was gone before the script started, a ConnectionLostError when it
   * was lost while the script ran (transport/errors.ts).
   */
  runScript(script: string, options?: RunOptions): Promise<RunOutput>;
  /** Run one command line with the node's shell (delivered as scripts are; `stdin` follows it). */
  run(command: string, options?: RunOptions): Promise<RunOutput>;
  close(): void;
}

export interface Transport {
  readonly name: string;
  connect(target: ConnectTarget, options?: ConnectOptions): Promise<Connection>;
}
