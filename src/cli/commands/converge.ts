import { Command } from 'commander';
import { converge } from '../../engine/converge.ts';
import { parseCounts } from '../counts.ts';
import { prepare, type CommonFlags } from '../context.ts';
import { secondsAsMs, stackFileOption } from '../options.ts';
import { formatResult, printJson } from '../output.ts';

export function convergeCommand(): Command {
  return new Command('converge')
    .description('bring each group to its count, bootstrap new nodes, then configure every node of the stack')
    .argument('<counts...>', 'GROUP=N pairs (lb=1 web=4) or Pallet\'s form (lb 1 web 4)')
    .addOption(stackFileOption())
    .option('--phase <name...>', 'phases to run after bootstrap (default: configure)')
    .option('--timeout <seconds>', "stop a node's phase script after this many seconds (default 1800)", secondsAsMs)
    .option('--json', 'print results as JSON')
    .option('-q, --quiet', 'no progress output')
    .action(async (words: string[], flags: CommonFlags & { phase?: string[]; timeout?: number }) => {
      const counts = parseCounts(words);
      const { stack, options } = await prepare(flags);
      const result = await converge(stack, counts, { ...options, ...(flags.phase ? { phases: flags.phase } : {}), ...(flags.timeout ? { scriptTimeoutMs: flags.timeout } : {}) });
      if (flags.json) printJson(result);
      else process.stdout.write(`${formatResult(result)}\n`);
      process.exitCode = result.ok ? 0 : 1;
    });
}
