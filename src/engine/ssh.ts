// ssh: an OpenSSH session on one node of the stack (interactive, or one command), with
// the key forklift holds for it and its host key pinned, as every operation pins it.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StackConfig } from '../config/define.ts';
import { ForkliftError, UsageError } from '../errors.ts';
import { lineBlob } from '../transport/hostkey.ts';
import { knownHostsLine } from '../transport/knownhosts.ts';
import { withOperation, type OperationOptions } from './operation.ts';

export interface SshOptions extends OperationOptions {
  /** Run this command instead of a login shell (words as OpenSSH takes them). */
  command?: string[];
}

/**
 * Connect to the node named `node` (or with that id); resolves with ssh's exit code. The node's
 * host key is checked first as every operation checks it (its pin, or pinned now on first
 * contact), and OpenSSH is then held to exactly that key.
 */
export async function ssh(stack: StackConfig, node: string, options: SshOptions = {}): Promise<number> {
  const { target, hostKey } = await withOperation(stack, options, async (op) => {
    const all = await op.listNodes();
    const found = all.find((n) => n.name === node || n.id === node);
    if (!found) throw new UsageError(`node ${node}: not in stack ${op.stack.stack}; its nodes: ${all.map((n) => n.name).join(', ') || '(none)'}`);
    if (found.state !== 'running') throw new ForkliftError(`node ${found.name}: not running (${found.state})`, 'NOT_RUNNING', { node: found.name });
    const conn = await op.sessions.get(found);
    return { target: found, hostKey: conn.hostKey ?? fullKey(found.ssh.hostKey) };
  });
  const dir = mkdtempSync(join(tmpdir(), 'forklift-ssh-'));
  try {
    const key = join(dir, 'key');
    writeFileSync(key, target.ssh.privateKey, { mode: 0o600 });
    const known = join(dir, 'known_hosts');
    if (hostKey) writeFileSync(known, knownHostsLine(target.ssh.host, target.ssh.port, hostKey));
    const args = [
      '-i', key,
      '-p', String(target.ssh.port),
      '-o', 'IdentitiesOnly=yes',
      '-o', `UserKnownHostsFile=${known}`,
      '-o', 'GlobalKnownHostsFile=/dev/null',
      // The key checked above is required; only a transport that reports no key leaves ssh to take the first.
      '-o', `StrictHostKeyChecking=${hostKey ? 'yes' : 'accept-new'}`,
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

/** The first pin that is a whole key (not a fingerprint), for known_hosts. */
function fullKey(pins: string | undefined): string | undefined {
  return pins?.split('\n').find((line) => lineBlob(line) !== undefined);
}
