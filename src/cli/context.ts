// What every command shares: the stack file, progress printing and Ctrl-C.
import { loadConfig } from '../config/load.ts';
import type { StackConfig } from '../config/define.ts';
import { releaseHeldLocks, type OperationOptions } from '../engine/operation.ts';
import { printEvent } from './output.ts';

export interface CommonFlags {
  file?: string;
  json?: boolean;
  quiet?: boolean;
}

/** How long a quit waits for the stack lock to be released. */
const QUIT_RELEASE_MS = 10_000;

/**
 * First Ctrl-C (or SIGTERM) stops the operation cleanly; a second one quits at once, but
 * releases the stack lock first (bounded in time: a lock in the cloud would otherwise stay);
 * a third exits without waiting for that.
 */
export function interruptSignal(): AbortSignal {
  const controller = new AbortController();
  // One listener for good: removing and adding signal listeners can drop a signal that arrives in between.
  let presses = 0;
  const onSignal = () => {
    presses++;
    if (presses === 1) {
      process.stderr.write('\nstopping (Ctrl-C again to quit at once)…\n');
      controller.abort();
    } else if (presses === 2) void quit();
    else process.exit(130);
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  return controller.signal;
}

async function quit(): Promise<never> {
  process.stderr.write('quitting: releasing the stack lock…\n');
  let timer: NodeJS.Timeout | undefined;
  const released = await Promise.race([
    releaseHeldLocks().then(() => true),
    new Promise<boolean>((done) => (timer = setTimeout(() => done(false), QUIT_RELEASE_MS))),
  ]);
  clearTimeout(timer);
  if (!released) process.stderr.write(`forklift: the stack lock was not released within ${QUIT_RELEASE_MS / 1000} s; if it stays, run forklift unlock\n`);
  process.exit(130);
}

export async function prepare(flags: CommonFlags): Promise<{ stack: StackConfig; options: OperationOptions }> {
  const stack = await loadConfig(flags.file);
  const options: OperationOptions = { signal: interruptSignal() };
  if (!flags.quiet) options.onEvent = (e) => printEvent(e);
  return { stack, options };
}
