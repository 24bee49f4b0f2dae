import { Command } from 'commander';
import { destroy } from '../../engine/destroy.ts';
import { prepare, type CommonFlags } from '../context.ts';
import { stackFileOption } from '../options.ts';
import { formatRemoved, printJson } from '../output.ts';

export function destroyCommand(): Command {
  return new Command('destroy')
    .description("remove the stack's nodes (all, or those of the named groups)")
    .argument('[groups...]', 'only these groups')
    .addOption(stackFileOption())
    .option('--json', 'print removed nodes as JSON')
    .option('-q, --quiet', 'no progress output')
    .action(async (groups: string[], flags: CommonFlags) => {
      const { stack, options } = await prepare(flags);
      const removed = await destroy(stack, { ...options, groups });
      if (flags.json) printJson(removed);
      else process.stdout.write(`${formatRemoved(removed)}\n`);
    });
}
