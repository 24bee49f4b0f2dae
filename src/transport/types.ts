// How the engine reaches nodes. SSH is the default transport; tests pass a fake one.
// A connection runs a phase script or a command and returns all of its output.

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

/** What a connection is opened to: the node's name (for messages) and its endpoint. */
export interface ConnectTarget {
  name: string;
  ssh: SshEndpoint;
}

export interface ConnectOptions {
  /** Give up connecting after this long, ms (default 30 s); refusals are retried until then. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface RunOptions {
  stdin?: string | Buffer;
  /** Stop the remote command and everything it started (CancelledError). */
  signal?: AbortSignal;
  /** Stop it after this long, ms (ForkliftError code TIMEOUT). */
  timeoutMs?: number;
}

export interface RunOutput {
  exitCode: number;
  stdout: Buffer;
  stderr: Buffer;
}

export interface Connection {
  /** Run a whole script (a phase): the transport delivers it so that no command reads it as input. */
  runScript(script: string, options?: RunOptions): Promise<RunOutput>;
  /** Run one command line with the node's shell. */
  run(command: string, options?: RunOptions): Promise<RunOutput>;
  close(): void;
}

export interface Transport {
  readonly name: string;
  connect(target: ConnectTarget, options?: ConnectOptions): Promise<Connection>;
}
