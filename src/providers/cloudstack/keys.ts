// The stack's SSH key: generated once on this machine, kept in <keyDir>/<stack> (0600, with
// <stack>.pub beside it), and registered on the cloud as key pair forklift-<stack>.
import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ProviderError } from '../../errors.ts';
import { ensureKey } from '../shared/keygen.ts';
import type { CloudStackClient } from './client.ts';

export interface StackKey {
  name: string;
  privateKey: string;
  publicKey: string;
}

export function defaultKeyDir(): string {
  return join(homedir(), '.forklift', 'keys');
}

export function keyPairName(stack: string): string {
  return `forklift-${stack}`;
}

/** Read the stack's key, generating it (ed25519, no passphrase) on first use. */
export async function localStackKey(keyDir: string, stack: string): Promise<StackKey> {
  if (!/^[A-Za-z0-9._-]+$/.test(stack)) throw new ProviderError('cloudstack', `stack name ${JSON.stringify(stack)} cannot name a key file`);
  const key = await ensureKey('cloudstack', join(keyDir, stack), keyPairName(stack));
  return { name: keyPairName(stack), ...key };
}

/** Register the key pair once; if the cloud holds another key under the name, replace it (new VMs get ours). */
export async function registerKey(client: CloudStackClient, key: StackKey, log: (m: string) => void): Promise<void> {
  const existing = await client.list<{ name: string; fingerprint: string }>('listSSHKeyPairs', { name: key.name });
  const ours = md5Fingerprint(key.publicKey);
  const found = existing.find((k) => k.name === key.name);
  if (found && found.fingerprint === ours) return;
  if (found) {
    log(`cloudstack: key pair ${key.name} on the cloud differs from the local key; registering the local one (VMs made with the old key keep it)`);
    await client.call('deleteSSHKeyPair', { name: key.name }, { idempotent: true });
  }
  try {
    await client.call('registerSSHKeyPair', { name: key.name, publickey: key.publicKey });
  } catch (err) {
    // A lost answer or a racing process may have registered it already: fine if it is our key.
    const now = await client.list<{ name: string; fingerprint: string }>('listSSHKeyPairs', { name: key.name });
    if (!now.some((k) => k.name === key.name && k.fingerprint === ours)) throw err;
  }
}

export function md5Fingerprint(publicKey: string): string {
  const blob = Buffer.from(publicKey.split(/\s+/)[1] ?? '', 'base64');
  return createHash('md5').update(blob).digest('hex').match(/../g)!.join(':');
}
