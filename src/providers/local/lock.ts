// Cross-process mutual exclusion with flock(1): the kernel drops the lock when the
// holder dies, so there is no stale lock to detect. The child holds the lock until
// its stdin closes (which also happens if this process dies).
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { ProviderError } from '../../errors.ts';

/** Hold `file`'s lock in a flock child; `wait: false` gives up at once when it is taken. */
async function holdFlock(file: string, wait: boolean): Promise<(() => Promise<void>) | undefined> {
  mkdirSync(dirname(file), { recursive: true });
  const child = spawn('flock', [...(wait ? [] : ['-n']), '-x', file, 'sh', '-c', 'echo locked; exec cat >/dev/null'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const got = await new Promise<boolean>((resolve, reject) => {
    child.on('error', (err) => reject(new ProviderError('local', `flock ${file}: ${err.message}`)));
    child.on('exit', (code) => (wait ? reject(new ProviderError('local', `flock ${file} exited with ${code}`)) : resolve(false)));
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

export async function withLock<T>(file: string, fn: () => Promise<T>): Promise<T> {
  const release = (await holdFlock(file, true))!;
  try {
    return await fn();
  } finally {
    await release();
  }
}

/**
 * Take the lock without waiting: resolves with its release, or with undefined when
 * another process holds it.
 */
export function tryLock(file: string): Promise<(() => Promise<void>) | undefined> {
  return holdFlock(file, false);
}
