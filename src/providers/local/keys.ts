// SSH keys: forklift's own client key (made once, reused) and per-node host keys,
// generated on the host so the transport can pin the node's ed25519 key.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { withLock } from './lock.ts';
import { SSH_KEY } from './paths.ts';
import { run } from './run.ts';

export interface ClientKey {
  privateKey: string;
  publicKey: string;
}

/** forklift's key for root on every node: /var/lib/forklift/ssh/id_ed25519 (0600). */
export async function ensureClientKey(file = SSH_KEY): Promise<ClientKey> {
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    await withLock(`${file}.lock`, async () => {
      if (!existsSync(file)) await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'forklift', '-f', file]);
    });
  }
  return { privateKey: readFileSync(file, 'utf8'), publicKey: readFileSync(`${file}.pub`, 'utf8').trim() };
}

const HOST_KEY_TYPES = ['ed25519', 'ecdsa'] as const;

/** Generate the node's host keys (no RSA: it costs ~1 s) into `etcSsh`; returns sshd config lines. */
export async function generateHostKeys(etcSsh: string, comment: string): Promise<string> {
  mkdirSync(etcSsh, { recursive: true, mode: 0o755 });
  await Promise.all(
    HOST_KEY_TYPES.map((type) =>
      run('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', comment, '-f', join(etcSsh, `ssh_host_${type}_key`)]),
    ),
  );
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
