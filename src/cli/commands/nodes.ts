import { Command } from 'commander';
import { nodes } from '../../engine/nodes.ts';
import { prepare, type CommonFlags } from '../context.ts';
import { stackFileOption } from '../options.ts';
import { formatNodes, printJson } from '../output.ts';

export function nodesCommand(): Command {
  return new Command('nodes')
    .description("list the stack's nodes, read from the provider's tags")
    .addOption(stackFileOption())
    .option('--json', 'print nodes as JSON')
    .action(async (flags: CommonFlags) => {
      const { stack, options } = await prepare({ ...flags, quiet: true });
      const list = await nodes(stack, options);
      if (flags.json) printJson(list);
      else process.stdout.write(`${formatNodes(list)}\n`);
    });
}
