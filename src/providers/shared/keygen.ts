// SSH keys made on this machine with OpenSSH's ssh-keygen: forklift's client keys and
// nodes' host keys. The one place that runs ssh-keygen.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { ProviderError } from '../../errors.ts';

const run = promisify(execFile);

export type KeyType = 'ed25519' | 'ecdsa';

export interface KeyPair {
  /** The private key file's text (OpenSSH format). */
  privateKey: string;
  /** "ssh-ed25519 AAAA... comment" */
  publicKey: string;
}

/**
 * Write a new key pair to `file` and `file.pub` (0600, no passphrase). Made under a
 * temporary name and renamed into place, the public key first: a process killed meanwhile
 * never leaves a private key without its public one (which every later run would trip on).
 */
export async function generateKey(provider: string, file: string, comment: string, type: KeyType = 'ed25519'): Promise<void> {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  rmSync(tmp, { force: true });
  rmSync(`${tmp}.pub`, { force: true });
  try {
    await run('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', comment, '-f', tmp]);
  } catch (err) {
    throw new ProviderError(provider, `could not generate the SSH key ${file}: ${(err as Error).message.split('\n')[0]}`);
  }
  renameSync(`${tmp}.pub`, `${file}.pub`);
  renameSync(tmp, file);
}

/** Read the key pair in `file`, making it first when it does not exist. `lock` serializes makers across processes. */
export async function ensureKey(provider: string, file: string, comment: string, lock?: <T>(fn: () => Promise<T>) => Promise<T>): Promise<KeyPair> {
  if (!existsSync(file)) {
    const make = async () => {
      if (!existsSync(file)) await generateKey(provider, file, comment);
    };
    await (lock ? lock(make) : make());
  }
  return { privateKey: readFileSync(file, 'utf8'), publicKey: readFileSync(`${file}.pub`, 'utf8').trim() };
}
