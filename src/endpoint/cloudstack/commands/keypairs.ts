// SSH key pairs: registered public keys, installed on the nodes of the VMs that name them.
import { createHash } from 'node:crypto';
import { ApiError, listResponse, required, type Handler } from '../api.ts';
import { OWNER } from '../catalog.ts';

/** MD5 fingerprint of an OpenSSH public key line, as CloudStack shows it (aa:bb:...). */
export function fingerprint(publickey: string): string {
  const blob = publickey.trim().split(/\s+/)[1];
  if (!blob || !/^[A-Za-z0-9+/]+={0,2}$/.test(blob)) throw new ApiError(431, 'Public key is invalid');
  const hex = createHash('md5').update(Buffer.from(blob, 'base64')).digest('hex');
  return hex.match(/../g)!.join(':');
}

export const keyPairCommands: Record<string, Handler> = {
  registerSSHKeyPair: (p, ctx) => {
    const name = required(p, 'name');
    const publickey = required(p, 'publickey').trim();
    if (ctx.store.data.keyPairs.some((k) => k.name === name)) throw new ApiError(431, `A key pair with name '${name}' already exists.`);
    const pair = { name, publickey, fingerprint: fingerprint(publickey) };
    ctx.store.update((d) => d.keyPairs.push(pair));
    return { keypair: { name, fingerprint: pair.fingerprint, ...OWNER } };
  },
  listSSHKeyPairs: (p, ctx) => {
    const items = ctx.store.data.keyPairs
      .filter((k) => (!p.name || k.name === p.name) && (!p.fingerprint || k.fingerprint === p.fingerprint))
      .map((k) => ({ name: k.name, fingerprint: k.fingerprint, ...OWNER }));
    return listResponse('sshkeypair', items, p);
  },
  deleteSSHKeyPair: (p, ctx) => {
    const name = required(p, 'name');
    if (!ctx.store.data.keyPairs.some((k) => k.name === name)) throw new ApiError(431, `A key pair with name '${name}' does not exist.`);
    ctx.store.update((d) => (d.keyPairs = d.keyPairs.filter((k) => k.name !== name)));
    return { success: 'true' }; // a synchronous SuccessResponse: CloudStack writes it as a string
  },
};
