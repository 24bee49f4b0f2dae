// The operator lock of a stack on this machine: an flock(1) lock file per stack, so it
// dies with its holder (even on SIGKILL), plus a note of who holds it for the message
// another operator sees.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProviderError } from '../../errors.ts';
import { describeHolder } from '../shared/holder.ts';
import type { LockHolder } from '../types.ts';
import { tryLock } from './lock.ts';

export async function stackLock(locksDir: string, stack: string, holder: LockHolder): Promise<() => Promise<void>> {
  const file = join(locksDir, `${stack}.lock`);
  const release = await tryLock(file);
  if (!release) {
    let who = 'another forklift process';
    try {
      who = readFileSync(`${file}.holder`, 'utf8').trim() || who;
    } catch {
      // the holder has not written its note yet
    }
    throw new ProviderError('local', `stack ${stack} is locked by ${who}; wait for it to finish (the lock ends with its process)`);
  }
  writeFileSync(`${file}.holder`, `${describeHolder(holder)}\n`);
  return async () => {
    rmSync(`${file}.holder`, { force: true });
    await release();
  };
}
