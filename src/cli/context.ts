// What every command shares: the stack file, progress printing and Ctrl-C.
import { loadConfig } from '../config/load.ts';
import type { StackConfig } from '../config/define.ts';
import type { OperationOptions } from '../engine/operation.ts';
import { printEvent } from './output.ts';

export interface CommonFlags {
  file?: string;
  json?: boolean;
  quiet?: boolean;
}

/** First Ctrl-C stops the operation cleanly; a second one exits at once. */
export function interruptSignal(): AbortSignal {
  const controller = new AbortController();
  process.once('SIGINT', () => {
    process.stderr.write('\nstopping (Ctrl-C again to quit at once)…\n');
    controller.abort();
    process.once('SIGINT', () => process.exit(130));
  });
  process.once('SIGTERM', () => controller.abort());
  return controller.signal;
}

export async function prepare(flags: CommonFlags): Promise<{ stack: StackConfig; options: OperationOptions }> {
  const stack = await loadConfig(flags.file);
  const options: OperationOptions = { signal: interruptSignal() };
  if (!flags.quiet) options.onEvent = (e) => printEvent(e);
  return { stack, options };
}
