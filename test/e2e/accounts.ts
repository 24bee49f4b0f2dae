// Machines as operators have them, for the hosts provider's tests: login users with a key
// of the test's own, sudo with or without a password, and what the node's sshd logged
// (who logged in, from where), read from its journal. Nodes come from nodes.ts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NodeInfo } from '../../src/providers/types.ts';
import { waitFor } from './helpers.ts';
import { ssh } from './nodes.ts';

/** A fresh ed25519 key pair in `dir` (the private key file and its public line). */
export function testKey(dir: string, name = 'id_ed25519'): { key: string; pub: string } {
  const key = join(dir, name);
  const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'forklift-test', '-f', key]);
  assert.equal(r.status, 0, r.stderr?.toString());
  return { key, pub: readFileSync(`${key}.pub`, 'utf8').trim() };
}

export interface Login {
  name: string;
  /** nopasswd: sudo without a password; password: sudo asks for one (the user has a password). */
  sudo: 'nopasswd' | 'password';
}

/** Install sudo (apt) and make each user, logging in with `pub`. */
export function addLogins(node: Pick<NodeInfo, 'address'>, pub: string, users: readonly Login[]): void {
  const lines = users.flatMap(({ name, sudo }) => [
    `useradd -m -s /bin/bash ${name}`,
    `install -d -m 700 -o ${name} -g ${name} /home/${name}/.ssh`,
    `printf '%s\\n' '${pub}' > /home/${name}/.ssh/authorized_keys && chown ${name}:${name} /home/${name}/.ssh/authorized_keys`,
    sudo === 'nopasswd' ? `echo '${name} ALL=(ALL) NOPASSWD: ALL' > /etc/sudoers.d/${name}` : `echo '${name} ALL=(ALL) ALL' > /etc/sudoers.d/${name} && echo '${name}:not-typed-by-anyone' | chpasswd`,
  ]);
  const apt = 'export DEBIAN_FRONTEND=noninteractive; command -v sudo >/dev/null || { apt-get update -qq && apt-get install -y -qq sudo >/dev/null; }';
  const r = ssh(node, [apt, ...lines].join(' && '));
  assert.equal(r.code, 0, `setting up logins on ${node.address}: ${r.stderr}`);
}

/** Where the node's journal is now: `logins()` then counts what sshd accepted after it. */
export function sshdLog(node: Pick<NodeInfo, 'address'>): { logins(user: string): string[] } {
  const r = ssh(node, 'journalctl -n 0 --show-cursor -q');
  const cursor = /-- cursor: (\S+)/.exec(r.stdout)?.[1];
  assert.ok(cursor, `no journal cursor on ${node.address}: ${r.stdout}${r.stderr}`);
  return {
    /** The source address of each login of `user` sshd accepted since (one per SSH connection). */
    logins(user) {
      const log = ssh(node, `journalctl --after-cursor='${cursor}' -u ssh -o cat --no-pager`);
      return [...log.stdout.matchAll(new RegExp(`^Accepted publickey for ${user} from (\\S+) port`, 'gm'))].map((m) => m[1]!);
    },
  };
}

/** Change sshd's configuration with `command` (as root), restart sshd, and wait until it answers again on each of `ports`. */
export async function reconfigureSshd(node: Pick<NodeInfo, 'address'>, command: string, ports: readonly number[] = [22]): Promise<void> {
  const r = ssh(node, `${command} && systemctl restart ssh`);
  assert.equal(r.code, 0, r.stderr);
  for (const port of ports) await waitFor(`sshd on ${node.address}:${port}`, () => (ssh(node, 'true', { port }).code === 0 ? true : undefined));
}
