import { Command } from 'commander';
import { unlock } from '../../engine/unlock.ts';
import { prepare, type CommonFlags } from '../context.ts';
import { stackFileOption } from '../options.ts';
import { printJson } from '../output.ts';

export function unlockCommand(): Command {
  return new Command('unlock')
    .description('remove the stack lock left by a run that died (only where a lock outlives its process)')
    .addOption(stackFileOption())
    .option('--json', 'print the result as JSON')
    .action(async (flags: CommonFlags) => {
      const { stack, options } = await prepare({ ...flags, quiet: true });
      const result = await unlock(stack, options);
      if (flags.json) printJson(result);
      else process.stdout.write(result.holder ? `removed the lock of stack ${result.stack}, held by ${result.holder}\n` : `stack ${result.stack} is not locked\n`);
    });
}
