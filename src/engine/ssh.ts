// ssh: an OpenSSH session on one node of the stack (interactive, or one command), with
// the key forklift holds for it (or ssh-agent's) and its host key pinned, as every
// operation pins it; through its jump hosts (each one's key pinned too), as the node's user.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StackConfig } from '../config/define.ts';
import { ForkliftError, UsageError } from '../errors.ts';
import { lineBlob } from '../transport/hostkey.ts';
import { quote } from '../shell/sh.ts';
import { knownHostsLine } from '../transport/knownhosts.ts';
import type { SshEndpoint } from '../transport/types.ts';
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
  const { target, hostKey, jumpHostKeys } = await withOperation(stack, options, async (op) => {
    const all = await op.listed();
    const found = all.find((n) => n.name === node || n.id === node);
    if (!found) throw new UsageError(`node ${node}: not in stack ${op.stack.stack}; its nodes: ${all.map((n) => n.name).join(', ') || '(none)'}`);
    if (found.state !== 'running') throw new ForkliftError(`node ${found.name}: not running (${found.state})`, 'NOT_RUNNING', { node: found.name });
    const conn = await op.sessions.get(found);
    const jumps = chain(found.ssh);
    return { target: found, hostKey: conn.hostKey ?? fullKey(found.ssh.hostKey), jumpHostKeys: jumps.map((j, i) => conn.jumpHostKeys?.[i] ?? fullKey(j.hostKey)) };
  });
  const dir = mkdtempSync(join(tmpdir(), 'forklift-ssh-'));
  try {
    const known = join(dir, 'known_hosts');
    const jumps = chain(target.ssh);
    const lines = [[target.ssh, hostKey] as const, ...jumps.map((j, i) => [j, jumpHostKeys[i]] as const)];
    writeFileSync(known, lines.map(([e, key]) => (key ? knownHostsLine(e.host, e.port, key) : '')).join(''));
    const key = target.ssh.privateKey ? join(dir, 'key') : undefined;
    if (key) writeFileSync(key, target.ssh.privateKey!, { mode: 0o600 });
    // Every hop is held to its pinned key; only a transport that reports no key leaves ssh to take the first.
    const hop = (e: SshEndpoint, pinned: string | undefined) => [
      // The key file alone, unless the agent's keys are offered too (as forklift offers them).
      ...(key ? ['-i', key, ...(target.ssh.agent ? [] : ['-o', 'IdentitiesOnly=yes'])] : []),
      '-p', String(e.port),
      '-o', `UserKnownHostsFile=${known}`,
      '-o', 'GlobalKnownHostsFile=/dev/null',
      '-o', `StrictHostKeyChecking=${pinned ? 'yes' : 'accept-new'}`,
      '-o', 'LogLevel=ERROR',
    ];
    // Each jump as a ProxyCommand carrying the same options (OpenSSH's -J would not pass them on).
    let proxy: string | undefined;
    for (const [i, j] of jumps.entries()) {
      const next = jumps[i + 1] ?? target.ssh;
      const argv = ['ssh', ...hop(j, jumpHostKeys[i]), ...(proxy ? ['-o', `ProxyCommand=${proxy}`] : []), '-W', `${next.host}:${next.port}`, `${j.user}@${j.host}`];
      proxy = argv.map((a) => quote(a).replaceAll('%', '%%')).join(' ');
    }
    const args = [
      ...hop(target.ssh, hostKey),
      ...(proxy ? ['-o', `ProxyCommand=${proxy}`] : []),
      ...(options.command?.length ? [] : process.stdin.isTTY ? ['-t'] : []),
      `${target.ssh.user}@${target.ssh.host}`,
      ...(options.command ?? []),
    ];
    return await new Promise<number>((done, fail) => {
      const env = target.ssh.agent ? { ...process.env, SSH_AUTH_SOCK: target.ssh.agent } : process.env;
      const child = spawn('ssh', args, { stdio: 'inherit', env });
      child.on('error', (err) => fail(new ForkliftError(`ssh: ${err.message}`, 'TRANSPORT')));
      child.on('exit', (code) => done(code ?? 255));
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The jump hosts on the way to a node, in the order they are contacted. */
function chain(e: SshEndpoint): SshEndpoint[] {
  const hops: SshEndpoint[] = [];
  for (let j = e.jump; j; j = j.jump) hops.unshift(j);
  return hops;
}

/** The first pin that is a whole key (not a fingerprint), for known_hosts. */
function fullKey(pins: string | undefined): string | undefined {
  return pins?.split('\n').find((line) => lineBlob(line) !== undefined);
}
