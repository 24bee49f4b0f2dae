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
  const key = await ensureKey('cloudstack', stackKeyFile(keyDir, stack), keyPairName(stack));
  return { name: keyPairName(stack), ...key };
}

export function stackKeyFile(keyDir: string, stack: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(stack)) throw new ProviderError('cloudstack', `stack name ${JSON.stringify(stack)} cannot name a key file`);
  return join(keyDir, stack);
}

/**
 * Register the stack's key pair once. A key pair of that name that holds another key was
 * registered from another machine (or with a key since lost): it is never replaced, since
 * the VMs that machine makes would then get a key it does not hold. Refused, naming both keys.
 */
export async function registerKey(client: CloudStackClient, key: StackKey, keyFile: string): Promise<void> {
  const ours = md5Fingerprint(key.publicKey);
  const theirs = async () => (await client.list<{ name: string; fingerprint: string }>('listSSHKeyPairs', { name: key.name })).find((k) => k.name === key.name);
  const found = await theirs();
  if (found && found.fingerprint !== ours) throw keyPairTaken(key, found.fingerprint, ours, keyFile);
  if (found) return;
  try {
    await client.call('registerSSHKeyPair', { name: key.name, publickey: key.publicKey });
  } catch (err) {
    // A lost answer or a racing process may have registered it already: fine if it is our key.
    const now = await theirs();
    if (now && now.fingerprint !== ours) throw keyPairTaken(key, now.fingerprint, ours, keyFile);
    if (!now) throw err;
  }
}

function keyPairTaken(key: StackKey, theirs: string, ours: string, keyFile: string): ProviderError {
  return new ProviderError(
    'cloudstack',
    `key pair ${key.name} on the cloud holds another key (MD5 ${theirs}) than this machine's ${keyFile} (MD5 ${ours}); ` +
      `it was registered from another machine, whose nodes have that key. Copy that machine's ${keyFile} and ${keyFile}.pub here; ` +
      `or, if that key is lost, delete the key pair on the cloud (deleteSSHKeyPair name=${key.name}) and run again`,
  );
}

export function md5Fingerprint(publicKey: string): string {
  const blob = Buffer.from(publicKey.split(/\s+/)[1] ?? '', 'base64');
  return createHash('md5').update(blob).digest('hex').match(/../g)!.join(':');
}
