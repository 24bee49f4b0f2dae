// Host keys of existing machines: the user's OpenSSH known_hosts files are honoured (hashed
// entries, patterns, @revoked), and a host seen for the first time is recorded in forklift's
// own known_hosts file (default ~/.forklift/known_hosts, OpenSSH format), never in the user's.
import { appendFileSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { ProviderError } from '../../errors.ts';
import { describeKey, fingerprint, lineBlob } from '../../transport/hostkey.ts';
import { knownHostName, knownHostsLine, readKnownKeys } from '../../transport/knownhosts.ts';
import type { SshEndpoint } from '../../transport/types.ts';

export const defaultStore = () => join(homedir(), '.forklift', 'known_hosts');

/** The files OpenSSH reads by default (UserKnownHostsFile, GlobalKnownHostsFile). */
export const openSshFiles = () => [
  join(homedir(), '.ssh', 'known_hosts'),
  join(homedir(), '.ssh', 'known_hosts2'),
  '/etc/ssh/ssh_known_hosts',
  '/etc/ssh/ssh_known_hosts2',
];

export interface HostKeys {
  /** The pin for host and port: every key known for it, and where the first was read. */
  pin(host: string, port: number): Pick<SshEndpoint, 'hostKey' | 'hostKeySource'>;
  /** Record the key a host offered on first contact; refuses one marked @revoked. */
  record(host: string, port: number, key: string): void;
}

export function hostKeys(store: string = defaultStore(), userFiles: readonly string[] = openSshFiles()): HostKeys {
  const files = [...userFiles, store];
  return {
    pin(host, port) {
      const trusted = readKnownKeys(files, host, port).filter((k) => !k.revoked);
      if (!trusted.length) return {};
      return { hostKey: trusted.map((k) => k.key).join('\n'), hostKeySource: trusted[0]!.source };
    },
    record(host, port, key) {
      const known = readKnownKeys(files, host, port);
      const blob = lineBlob(key);
      const revoked = known.find((k) => k.revoked && lineBlob(k.key)?.equals(blob ?? Buffer.alloc(0)));
      if (revoked) {
        throw new ProviderError('hosts', `host ${knownHostName(host, port)} offers the host key ${describeKey(fingerprint(blob!), key.split(' ')[0]!)}, marked @revoked in ${revoked.source}; refusing it`, { host, port });
      }
      if (known.some((k) => !k.revoked && k.key === key)) return;
      mkdirSync(dirname(store), { recursive: true, mode: 0o700 });
      appendFileSync(store, knownHostsLine(host, port, key), { mode: 0o600 });
    },
  };
}
