// The node's own files, written into its overlay delta before first boot: host keys,
// root's authorized_keys, identity files, the cloud-init seed (or its off switch), and
// the apt settings that send it through the host's package cache (apt-proxy.ts) and the
// package lists fetched for this run's nodes (lists.ts).
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { generateHostKeys } from './keys.ts';
import { copyLists } from './lists.ts';

export interface DeltaInput {
  delta: string;
  hostname: string;
  authorizedKeys: string[];
  userData?: string;
  /** More files, by path in the node: [content, mode]. */
  files?: Record<string, [string, number]>;
  /** A folder of fresh package lists to start with (lists.ts), instead of none. */
  lists?: string;
}

function put(delta: string, path: string, text: string, mode = 0o644): void {
  const file = join(delta, path);
  mkdirSync(dirname(file), { recursive: true, mode: 0o755 });
  writeFileSync(file, text, { mode });
}

export async function writeDelta(input: DeltaInput): Promise<void> {
  const { delta, hostname } = input;
  mkdirSync(join(delta, 'etc'), { recursive: true, mode: 0o755 });
  const hostKeyLines = await generateHostKeys(join(delta, 'etc/ssh'), `root@${hostname}`);
  put(delta, 'etc/ssh/sshd_config.d/forklift.conf', `# forklift: this node's own host keys\n${hostKeyLines}`);
  mkdirSync(join(delta, 'root/.ssh'), { recursive: true, mode: 0o700 });
  put(delta, 'root/.ssh/authorized_keys', input.authorizedKeys.map((k) => k.trim()).join('\n') + '\n', 0o600);
  put(delta, 'etc/hostname', `${hostname}\n`);
  put(delta, 'etc/hosts', `127.0.0.1\tlocalhost\n127.0.1.1\t${hostname}\n::1\tlocalhost ip6-localhost ip6-loopback\n`);
  put(delta, 'etc/machine-id', randomBytes(16).toString('hex') + '\n', 0o444);
  if (existsSync('/etc/resolv.conf')) put(delta, 'etc/resolv.conf', readFileSync('/etc/resolv.conf', 'utf8'));
  if (input.userData === undefined) {
    put(delta, 'etc/cloud/cloud-init.disabled', '');
  } else {
    put(delta, 'var/lib/cloud/seed/nocloud/meta-data', `instance-id: ${hostname}\nlocal-hostname: ${hostname}\n`);
    put(delta, 'var/lib/cloud/seed/nocloud/user-data', input.userData, 0o600);
  }
  for (const [path, [text, mode]] of Object.entries(input.files ?? {})) put(delta, path, text, mode);
  // Lists removed under our feet (a long-lived process's old pick): the node fetches its own.
  if (input.lists) copyLists(input.lists, delta);
}
