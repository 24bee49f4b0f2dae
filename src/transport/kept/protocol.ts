// What the CLI and the kept-sessions daemon say to each other over the unix socket: frames
// of [payload length u32][type u8][run id u32][payload]. One socket per node connection;
// the runs on it are told apart by id. Control messages are JSON, output and stdin bytes.
// Errors cross as data (kind, code, message, details) and become the same error classes
// on the CLI's side, so the engine handles a kept connection's failures as a direct one's.
import { CancelledError, ForkliftError, TransportError, type ErrorDetails } from '../../errors.ts';
import { ConnectionLostError, DisconnectedError, type Endpoint } from '../errors.ts';
import type { SshEndpoint } from '../types.ts';

export const FRAME = {
  // CLI → daemon
  open: 1,
  run: 2,
  stdin: 3,
  eof: 4,
  cancel: 5,
  status: 6,
  stop: 7,
  // daemon → CLI
  opened: 10,
  stdout: 11,
  stderr: 12,
  exit: 13,
  error: 14,
  statusReply: 15,
  /** stdin bytes the node's channel took (flow control). */
  ack: 16,
  /** The daemon speaks another protocol (another forklift started it). */
  mismatch: 17,
} as const;

export type FrameType = (typeof FRAME)[keyof typeof FRAME];

export interface Frame {
  type: number;
  id: number;
  payload: Buffer;
}

/** Bumped when the frames or what the daemon does with them change (3: it keeps and parks the shell a run leaves waiting): a daemon of another forklift refuses the CLI, which then connects directly. */
export const PROTOCOL = 3;

export interface OpenRequest {
  protocol: number;
  name: string;
  ssh: SshEndpoint;
  timeoutMs: number;
}

export interface Opened {
  hostKey: string;
  jumpHostKeys: string[];
  /** The daemon already held this connection. */
  reused: boolean;
}

export interface RunRequest {
  command: string;
  timeoutMs?: number;
  /** Stdin stays open after the command: the CLI feeds the sources' bytes and ends it. */
  feed: boolean;
  /** RunOptions.keepChannel: the command has no stdin; its output comes whole, then its exit. */
  keepChannel?: boolean;
}

export interface KeptConnectionStatus {
  node: string;
  user: string;
  host: string;
  port: number;
  /** Runs of CLI processes using it now. */
  users: number;
  /** ms since it was last used (0 while used). */
  idleMs: number;
  /** Times a CLI process was given it without a handshake. */
  reused: number;
}

export interface DaemonStatus {
  pid: number;
  protocol: number;
  startedAt: string;
  idleMs: number;
  clients: number;
  connections: KeptConnectionStatus[];
}

const HEADER = 9;

export function encode(type: number, id: number, payload: Buffer | string | object = Buffer.alloc(0)): Buffer {
  const body = Buffer.isBuffer(payload) ? payload : Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload), 'utf8');
  const header = Buffer.alloc(HEADER);
  header.writeUInt32BE(body.length, 0);
  header.writeUInt8(type, 4);
  header.writeUInt32BE(id, 5);
  return Buffer.concat([header, body]);
}

/** Frames from a byte stream, as whole frames arrive. */
export class FrameReader {
  private buffered: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    const frames: Frame[] = [];
    while (this.buffered.length >= HEADER) {
      const length = this.buffered.readUInt32BE(0);
      if (this.buffered.length < HEADER + length) break;
      frames.push({ type: this.buffered.readUInt8(4), id: this.buffered.readUInt32BE(5), payload: this.buffered.subarray(HEADER, HEADER + length) });
      this.buffered = this.buffered.subarray(HEADER + length);
    }
    return frames;
  }
}

export function json<T>(frame: Frame): T {
  return JSON.parse(frame.payload.toString('utf8')) as T;
}

/** An error as it crosses the socket. */
export interface WireError {
  kind: 'lost' | 'disconnected' | 'transport' | 'cancelled' | 'forklift' | 'internal';
  code: string;
  message: string;
  details: ErrorDetails;
}

export function toWire(error: unknown): WireError {
  const e = error instanceof Error ? error : new Error(String(error));
  if (!(e instanceof ForkliftError)) return { kind: 'internal', code: 'INTERNAL', message: e.message, details: {} };
  const kind =
    e instanceof ConnectionLostError ? 'lost' : e instanceof DisconnectedError ? 'disconnected' : e instanceof TransportError ? 'transport' : e instanceof CancelledError ? 'cancelled' : 'forklift';
  return { kind, code: e.code, message: e.message, details: e.details };
}

/** The error the daemon sent, as the class a direct connection would have thrown; `stdout`/`stderr` are what the CLI received of the run. */
export function fromWire(w: WireError, at: Endpoint, stdout: Buffer = Buffer.alloc(0), stderr: Buffer = Buffer.alloc(0)): Error {
  const same = <E extends Error>(e: E): E => {
    e.message = w.message;
    return e;
  };
  switch (w.kind) {
    case 'lost':
      return new ConnectionLostError(at, stdout, stderr);
    case 'disconnected':
      return same(new DisconnectedError(at, ''));
    case 'transport':
      return same(new TransportError(w.details.node ?? at.node, w.details.host ?? at.host, '', w.code, w.details));
    case 'cancelled':
      return new CancelledError(w.message, w.details);
    case 'forklift':
      return new ForkliftError(w.message, w.code, w.details);
    default:
      return new Error(`kept-sessions daemon: ${w.message}`);
  }
}
