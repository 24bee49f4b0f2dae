// unlock: remove a stack lock whose holder died without releasing it (Terraform's
// force-unlock). Only for providers whose lock outlives its process.
import type { StackConfig } from '../config/define.ts';
import { UsageError } from '../errors.ts';
import { withOperation, type OperationOptions } from './operation.ts';

export interface UnlockResult {
  stack: string;
  /** Who held the lock that was removed; undefined when the stack was not locked. */
  holder?: string;
}

export async function unlock(stack: StackConfig, options: OperationOptions = {}): Promise<UnlockResult> {
  return withOperation(stack, options, async (op) => {
    if (!op.provider.breakLock) {
      throw new UsageError(`${op.provider.name}: the stack lock ends with the process that holds it; there is nothing to unlock`);
    }
    const holder = await op.provider.breakLock(op.stack.stack);
    return holder === undefined ? { stack: op.stack.stack } : { stack: op.stack.stack, holder };
  });
}
