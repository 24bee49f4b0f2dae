// Cross-process mutual exclusion with flock(1): the kernel drops the lock when the
// holder dies, so there is no stale lock to detect. The child holds the lock until
// its stdin closes (which also happens if this process dies).
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { ProviderError } from '../../errors.ts';

export async function withLock<T>(file: string, fn: () => Promise<T>): Promise<T> {
  mkdirSync(dirname(file), { recursive: true });
  const child = spawn('flock', ['-x', file, 'sh', '-c', 'echo locked; exec cat >/dev/null'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.on('error', (err) => reject(new ProviderError('local', `flock ${file}: ${err.message}`)));
    child.on('exit', (code) => reject(new ProviderError('local', `flock ${file} exited with ${code}`)));
    child.stdout.once('data', () => resolve());
  });
  child.removeAllListeners('exit');
  const released = new Promise<void>((resolve) => child.on('close', () => resolve()));
  try {
    return await fn();
  } finally {
    child.stdin.end();
    await released;
  }
}

/**
 * Take the lock without waiting: resolves with its release, or with undefined when
 * another process holds it.
 */
export async function tryLock(file: string): Promise<(() => Promise<void>) | undefined> {
  mkdirSync(dirname(file), { recursive: true });
  const child = spawn('flock', ['-n', '-x', file, 'sh', '-c', 'echo locked; exec cat >/dev/null'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const got = await new Promise<boolean>((resolve, reject) => {
    child.on('error', (err) => reject(new ProviderError('local', `flock ${file}: ${err.message}`)));
    child.on('exit', () => resolve(false));
    child.stdout.once('data', () => resolve(true));
  });
  if (!got) return undefined;
  child.removeAllListeners('exit');
  const released = new Promise<void>((resolve) => child.on('close', () => resolve()));
  return async () => {
    child.stdin.end();
    await released;
  };
}
