// Host keys as OpenSSH writes and shows them: "type base64" lines, SHA256 fingerprints
// ("SHA256:" and unpadded base64, as ssh prints them), and pins. A pin is what forklift
// holds for a node: one or more lines, each a key ("ssh-ed25519 AAAA...") or, where only
// a short value can be stored (a cloud tag), a key type and its fingerprint
// ("ssh-rsa SHA256:...").
import { createHash } from 'node:crypto';

export interface Pin {
  type: string;
  /** The key itself, when the pin holds it. */
  blob?: Buffer;
  fingerprint: string;
}

/** The key type named inside an SSH public key blob (its first string), or "" when malformed. */
export function blobType(blob: Buffer): string {
  if (blob.length < 4) return '';
  const n = blob.readUInt32BE(0);
  return n > 0 && 4 + n <= blob.length ? blob.subarray(4, 4 + n).toString('latin1') : '';
}

export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** "type base64" of a key blob. */
export function keyLine(blob: Buffer): string {
  return `${blobType(blob)} ${blob.toString('base64')}`;
}

/** A key line ("type base64 [comment]") as a key blob, or undefined when it is not one. */
export function lineBlob(line: string): Buffer | undefined {
  const [type, data] = line.trim().split(/\s+/);
  if (!type || !data || !/^[A-Za-z0-9+/]+={0,2}$/.test(data)) return undefined;
  const blob = Buffer.from(data, 'base64');
  return blobType(blob) === type ? blob : undefined;
}

/** The pins in `text`: one per non-empty line; lines that are neither a key nor a fingerprint are ignored. */
export function parsePins(text: string): Pin[] {
  return text.split('\n').flatMap((line): Pin[] => {
    const [type, value] = line.trim().split(/\s+/);
    if (!type || !value) return [];
    if (value.startsWith('SHA256:')) return [{ type, fingerprint: value }];
    const blob = lineBlob(line);
    return blob ? [{ type, blob, fingerprint: fingerprint(blob) }] : [];
  });
}

/** Whether the key a node presented is one of the pins. */
export function pinned(pins: readonly Pin[], blob: Buffer): boolean {
  const fp = fingerprint(blob);
  return pins.some((p) => (p.blob ? p.blob.equals(blob) : p.type === blobType(blob) && p.fingerprint === fp));
}

/** "type SHA256:..." when the key line is longer than `max` (CloudStack tag values hold 255). */
export function shortPin(line: string, max = 255): string {
  const blob = lineBlob(line);
  if (!blob || line.length <= max) return line;
  return `${blobType(blob)} ${fingerprint(blob)}`;
}

// Server host key algorithms ssh2 offers, in its order, and the key type each belongs to.
const ALGORITHMS: ReadonlyArray<[algorithm: string, type: string]> = [
  ['ssh-ed25519', 'ssh-ed25519'],
  ['ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp256'],
  ['ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp384'],
  ['ecdsa-sha2-nistp521', 'ecdsa-sha2-nistp521'],
  ['rsa-sha2-512', 'ssh-rsa'],
  ['rsa-sha2-256', 'ssh-rsa'],
  ['ssh-rsa', 'ssh-rsa'],
];

/**
 * The host key algorithms to offer: those of the pinned key types first (as OpenSSH does for
 * known hosts), so that a node with several host keys answers with the one forklift holds.
 */
export function hostKeyAlgorithms(pins: readonly Pin[]): string[] {
  const types = pins.map((p) => p.type);
  const first = ALGORITHMS.filter(([, type]) => types.includes(type)).map(([a]) => a);
  return [...first, ...ALGORITHMS.map(([a]) => a).filter((a) => !first.includes(a))];
}

/** "SHA256:... (ssh-ed25519)" */
export function describeKey(fp: string, type: string): string {
  return `${fp} (${type})`;
}
