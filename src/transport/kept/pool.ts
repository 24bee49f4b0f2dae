// The daemon's SSH connections, kept between CLI runs. A connection is keyed by everything
// that makes it what it is: node name, user, host, port, credentials (a hash), jump chain,
// become and state folder. It is handed to a CLI only when the host keys that CLI pins
// (the node's and its jump hosts') are the keys this connection verified; otherwise a new
// handshake is made with the CLI's pins, exactly as a direct connection would, so a
// changed key is refused by the same check, naming both fingerprints.
import { createHash } from 'node:crypto';
import { lineBlob, parsePins, pinned } from '../hostkey.ts';
import { SshConnection } from '../ssh.ts';
import type { SshEndpoint } from '../types.ts';
import type { KeptConnectionStatus } from './protocol.ts';

export interface Kept {
  readonly conn: SshConnection;
  readonly user: string;
  users: number;
  lastUsed: number;
  reused: number;
  /** Replaced in the pool: closed once its last user lets go. */
  retired: boolean;
}

export type Opener = (name: string, ssh: SshEndpoint, timeoutMs: number) => Promise<SshConnection>;

function credentialsHash(e: SshEndpoint): string {
  return createHash('sha256').update(`${e.privateKey ?? ''}\0${e.agent ?? ''}`).digest('hex');
}

/** What a kept connection is, pins left out (they are checked apart). */
export function keptKey(name: string, e: SshEndpoint): string {
  const endpoint = (x: SshEndpoint): unknown[] => [x.user, x.host, x.port, credentialsHash(x), x.become ?? false, x.stateDir ?? '', x.jump ? endpoint(x.jump) : null];
  return JSON.stringify([name, endpoint(e)]);
}

/** Whether a key the connection verified satisfies a pin (no pin: any key, as on first contact). */
function satisfies(pin: string | undefined, verified: string | undefined): boolean {
  if (pin === undefined) return true;
  const blob = verified ? lineBlob(verified) : undefined;
  return blob !== undefined && pinned(parsePins(pin), blob);
}

/** Whether the connection verified exactly what `e` pins, for the node and each jump host. */
export function pinsMatch(e: SshEndpoint, hostKey: string | undefined, jumpHostKeys: readonly string[]): boolean {
  const chain: SshEndpoint[] = [];
  for (let j = e.jump; j; j = j.jump) chain.unshift(j);
  return satisfies(e.hostKey, hostKey) && chain.length === jumpHostKeys.length && chain.every((j, i) => satisfies(j.hostKey, jumpHostKeys[i]));
}

export class Pool {
  private readonly kept = new Map<string, Promise<Kept>>();

  constructor(
    private readonly open: Opener = (name, ssh, timeoutMs) => SshConnection.open(name, ssh, { timeoutMs }),
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  /** A connection for this CLI's endpoint: a kept one whose verified keys it pins, else a new handshake. */
  async acquire(name: string, ssh: SshEndpoint, timeoutMs: number): Promise<{ kept: Kept; reused: boolean }> {
    const key = keptKey(name, ssh);
    const existing = this.kept.get(key);
    if (existing) {
      const k = await existing.catch(() => undefined);
      if (k && !k.retired && k.conn.alive && pinsMatch(ssh, k.conn.hostKey, k.conn.jumpHostKeys)) {
        k.users++;
        k.reused++;
        return { kept: k, reused: true };
      }
      if (k && !k.retired) {
        this.log(`${name}: ${k.conn.alive ? 'the pinned host key is not the one this connection verified' : 'connection gone'}; connecting again`);
        this.retire(k);
      }
      if (this.kept.get(key) === existing) this.kept.delete(key);
    }
    const opening = this.open(name, ssh, timeoutMs).then((conn): Kept => ({ conn, user: ssh.user, users: 0, lastUsed: Date.now(), reused: 0, retired: false }));
    this.kept.set(key, opening);
    opening.catch(() => {
      if (this.kept.get(key) === opening) this.kept.delete(key);
    });
    const k = await opening;
    k.users++;
    this.log(`${name}: connected to ${ssh.user}@${ssh.host}:${ssh.port}`);
    return { kept: k, reused: false };
  }

  release(k: Kept): void {
    k.users = Math.max(0, k.users - 1);
    k.lastUsed = Date.now();
    if (k.users > 0) return;
    if (k.retired) k.conn.close();
    // The shell the last run left waiting for a command stays for the next CLI (no exec then), parked.
    else void k.conn.park();
  }

  private retire(k: Kept): void {
    k.retired = true;
    if (k.users === 0) k.conn.close();
  }

  /** Close connections unused for `idleMs`, and those that are gone. */
  async sweep(idleMs: number): Promise<void> {
    const now = Date.now();
    for (const [key, p] of [...this.kept]) {
      const k = await p.catch(() => undefined);
      if (!k || this.kept.get(key) !== p) continue;
      if (!k.conn.alive || (k.users === 0 && now - k.lastUsed >= idleMs)) {
        this.kept.delete(key);
        this.retire(k);
        this.log(`${k.conn.node}: ${k.conn.alive ? 'idle' : 'gone'}; closed`);
      }
    }
  }

  async status(): Promise<KeptConnectionStatus[]> {
    const now = Date.now();
    const all = await Promise.all([...this.kept.values()].map((p) => p.catch(() => undefined)));
    return all.flatMap((k) => (k ? [{ node: k.conn.node, user: k.user, host: k.conn.host, port: k.conn.port, users: k.users, idleMs: k.users ? 0 : now - k.lastUsed, reused: k.reused }] : []));
  }

  async closeAll(): Promise<void> {
    const all = await Promise.all([...this.kept.values()].map((p) => p.catch(() => undefined)));
    this.kept.clear();
    for (const k of all) k?.conn.close();
  }
}
