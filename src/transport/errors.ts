// Transport failures the engine handles apart: a connection gone before a command started
// (safe to connect again and run it), and one lost while it ran (it may have partly run).
import { TransportError } from '../errors.ts';

/** Where a node was reached. */
export interface Endpoint {
  node: string;
  host: string;
  port: number;
}

/** The connection was gone before the command started: nothing ran; a new connection may run it. */
export class DisconnectedError extends TransportError {
  constructor(at: Endpoint, why: string) {
    super(at.node, at.host, `the connection was closed before the command started (${why})`, 'DISCONNECTED', { port: at.port });
  }
}

/** The connection was lost while the command ran: it may have partly run; what it printed until then is kept. */
export class ConnectionLostError extends TransportError {
  constructor(
    at: Endpoint,
    readonly stdout: Buffer,
    readonly stderr: Buffer,
  ) {
    super(at.node, at.host, 'the connection was lost while the command ran; it may have partly run', 'CONNECTION_LOST', { port: at.port });
  }
}
