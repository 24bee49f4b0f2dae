// The stack's operator lock, kept in the cloud itself so that operators on different
// machines see it: a security group named forklift.lock.<stack> (a dot never appears in
// stack or group names, so it cannot clash with a group's security group). Creating it
// is atomic (a second create fails); its description names the holder: operation, pid,
// host and time (and the boot it ran in). Release deletes it. A holder killed with SIGKILL
// leaves it behind: on the same machine, in the same boot, the next operation sees that
// the holder's process is gone and takes the lock over; otherwise `forklift unlock` removes it.
import { randomBytes } from 'node:crypto';
import { ProviderError } from '../../errors.ts';
import { bootId, describeHolder, holderIsGone, parseHolder } from '../shared/holder.ts';
import type { LockHolder } from '../types.ts';
import type { CloudStackClient } from './client.ts';

interface Group {
  id: string;
  name: string;
  description?: string;
}

export const lockName = (stack: string) => `forklift.lock.${stack}`;

async function findLock(client: CloudStackClient, stack: string, signal?: AbortSignal): Promise<Group | undefined> {
  const name = lockName(stack);
  return (await client.list<Group>('listSecurityGroups', { securitygroupname: name }, signal)).find((g) => g.name === name);
}

export async function lockStack(client: CloudStackClient, stack: string, holder: LockHolder, log: (m: string) => void = () => {}): Promise<() => Promise<void>> {
  const name = lockName(stack);
  // A token tells our own lock from another's when the create's answer was lost; the boot id tells a holder gone from this machine.
  const boot = bootId();
  const description = `${describeHolder(holder)} [${randomBytes(4).toString('hex')}${boot ? `, boot ${boot}` : ''}]`;
  for (let attempt = 1; ; attempt++) {
    try {
      await client.call('createSecurityGroup', { name, description });
      break;
    } catch (err) {
      const held = await findLock(client, stack);
      if (!held) throw err;
      if (held.description === description) break;
      const was = held.description ? parseHolder(held.description) : undefined;
      if (!was || !holderIsGone(was) || attempt > 2) {
        throw new ProviderError('cloudstack', `stack ${stack} is locked by ${held.description ?? 'another operator'}; wait for it to finish, or, if that run died, run forklift unlock`);
      }
      log(`cloudstack: taking over the lock of stack ${stack} from ${held.description}: that process is gone from this host`);
      // By id: if another operator took it over first, this delete fails and the create tells who won.
      await client.call('deleteSecurityGroup', { id: held.id }, { idempotent: true }).catch(() => {});
    }
  }
  // Release must not fail the operation over a lost answer: deleting is safe to repeat,
  // and a lock that is gone (or no longer ours) is released.
  return async () => {
    for (let attempt = 1; ; attempt++) {
      const held = await findLock(client, stack);
      if (held?.description !== description) return;
      try {
        await client.call('deleteSecurityGroup', { id: held.id }, { idempotent: true });
        return;
      } catch (err) {
        if (attempt >= 3) throw err;
      }
    }
  };
}

/** Remove the lock whoever holds it; returns its holder, or undefined when there was none. */
export async function breakLock(client: CloudStackClient, stack: string): Promise<string | undefined> {
  const held = await findLock(client, stack);
  if (!held) return undefined;
  await client.call('deleteSecurityGroup', { id: held.id }, { idempotent: true });
  return held.description ?? '(unknown holder)';
}
