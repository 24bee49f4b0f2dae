// OpenSSH known_hosts files (sshd(8), "SSH_KNOWN_HOSTS FILE FORMAT"): host names plain or
// hashed (|1|salt|hmac), comma-separated patterns with * ? and negation !, [host]:port for
// a port other than 22, and the @revoked marker. @cert-authority lines are skipped:
// forklift does not use host certificates.
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { lineBlob } from './hostkey.ts';

export interface KnownKey {
  /** "type base64" */
  key: string;
  /** Marked @revoked: never to be accepted. */
  revoked: boolean;
  /** Where it was read: "file:line". */
  source: string;
}

/** The name known_hosts files use for a host and port. */
export function knownHostName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** A line recording `key` for host and port. */
export function knownHostsLine(host: string, port: number, key: string): string {
  return `${knownHostName(host, port)} ${key.trim().split(/\s+/).slice(0, 2).join(' ')}\n`;
}

/** The keys `text` (a known_hosts file read from `file`) holds for host and port. */
export function knownKeys(text: string, file: string, host: string, port: number): KnownKey[] {
  const name = knownHostName(host, port).toLowerCase();
  const found: KnownKey[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    const marker = fields[0]!.startsWith('@') ? fields.shift() : undefined;
    if (marker !== undefined && marker !== '@revoked') return;
    const [hosts, type, data] = fields;
    if (!hosts || !type || !data || !lineBlob(`${type} ${data}`)) return;
    if (!hostsMatch(hosts, name)) return;
    found.push({ key: `${type} ${data}`, revoked: marker === '@revoked', source: `${file}:${i + 1}` });
  });
  return found;
}

/** The keys every readable file of `files` holds for host and port (files that do not exist are skipped). */
export function readKnownKeys(files: readonly string[], host: string, port: number): KnownKey[] {
  return files.flatMap((file) => {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return [];
    }
    return knownKeys(text, file, host, port);
  });
}

function hostsMatch(hosts: string, name: string): boolean {
  if (hosts.startsWith('|1|')) {
    const [, , salt, hash] = hosts.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  let matched = false;
  for (const pattern of hosts.split(',')) {
    const negated = pattern.startsWith('!');
    if (!glob(negated ? pattern.slice(1) : pattern).test(name)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

function glob(pattern: string): RegExp {
  const body = [...pattern.toLowerCase()].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+()[\]{}]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`);
}
