// SSH keys: forklift's own client key for local nodes (made once, reused) and per-node
// host keys, generated on the host so the transport can pin the node's ed25519 key.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureKey, generateKey, type KeyPair } from '../shared/keygen.ts';
import { withLock } from './lock.ts';
import { SSH_KEY } from './paths.ts';

/** forklift's key for root on every node: /var/lib/forklift/ssh/id_ed25519 (0600). */
export function ensureClientKey(file = SSH_KEY): Promise<KeyPair> {
  return ensureKey('local', file, 'forklift', (make) => withLock(`${file}.lock`, make));
}

const HOST_KEY_TYPES = ['ed25519', 'ecdsa'] as const;

/** Generate the node's host keys (no RSA: it costs ~1 s) into `etcSsh`; returns sshd config lines. */
export async function generateHostKeys(etcSsh: string, comment: string): Promise<string> {
  mkdirSync(etcSsh, { recursive: true, mode: 0o755 });
  await Promise.all(HOST_KEY_TYPES.map((type) => generateKey('local', join(etcSsh, `ssh_host_${type}_key`), comment, type)));
  return HOST_KEY_TYPES.map((type) => `HostKey /etc/ssh/ssh_host_${type}_key`).join('\n') + '\n';
}

/** "ssh-ed25519 AAAA..." of a node whose delta holds its keys, or undefined. */
export function readHostKey(etcSsh: string): string | undefined {
  try {
    return readFileSync(join(etcSsh, 'ssh_host_ed25519_key.pub'), 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
  } catch {
    return undefined;
  }
}
