// ssh: an OpenSSH session on one node of the stack (interactive, or one command), with
// the key forklift holds for it and, where the provider recorded it, its host key pinned.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StackConfig } from '../config/define.ts';
import { ForkliftError, UsageError } from '../errors.ts';
import { withOperation, type OperationOptions } from './operation.ts';

export interface SshOptions extends OperationOptions {
  /** Run this command instead of a login shell (words as OpenSSH takes them). */
  command?: string[];
}

/** Connect to the node named `node` (or with that id); resolves with ssh's exit code. */
export async function ssh(stack: StackConfig, node: string, options: SshOptions = {}): Promise<number> {
  const target = await withOperation(stack, options, async (op) => {
    const all = await op.listNodes();
    const found = all.find((n) => n.name === node || n.id === node);
    if (!found) throw new UsageError(`node ${node}: not in stack ${op.stack.stack}; its nodes: ${all.map((n) => n.name).join(', ') || '(none)'}`);
    return found;
  });
  const dir = mkdtempSync(join(tmpdir(), 'forklift-ssh-'));
  try {
    const key = join(dir, 'key');
    writeFileSync(key, target.ssh.privateKey, { mode: 0o600 });
    const known = join(dir, 'known_hosts');
    const pinned = target.ssh.hostKey !== undefined;
    if (pinned) writeFileSync(known, `${target.ssh.port === 22 ? target.ssh.host : `[${target.ssh.host}]:${target.ssh.port}`} ${target.ssh.hostKey}\n`);
    const args = [
      '-i', key,
      '-p', String(target.ssh.port),
      '-o', 'IdentitiesOnly=yes',
      '-o', `UserKnownHostsFile=${known}`,
      // A host key recorded by the provider is required; without one, the first key is taken.
      '-o', `StrictHostKeyChecking=${pinned ? 'yes' : 'accept-new'}`,
      '-o', 'LogLevel=ERROR',
      ...(options.command?.length ? [] : process.stdin.isTTY ? ['-t'] : []),
      `${target.ssh.user}@${target.ssh.host}`,
      ...(options.command ?? []),
    ];
    return await new Promise<number>((done, fail) => {
      const child = spawn('ssh', args, { stdio: 'inherit' });
      child.on('error', (err) => fail(new ForkliftError(`ssh: ${err.message}`, 'TRANSPORT')));
      child.on('exit', (code) => done(code ?? 255));
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
