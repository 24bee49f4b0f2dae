import { Command } from 'commander';
import { check } from '../../engine/lift.ts';
import { prepare, seconds, type CommonFlags } from '../context.ts';
import { formatResult, printJson } from '../output.ts';

export function checkCommand(): Command {
  return new Command('check')
    .description('dry run of lift: run only the read-only checks on the nodes and show what would change')
    .argument('[groups...]', 'only these groups (default: all)')
    .option('-f, --file <file>', 'stack file', 'forklift.config.ts')
    .option('--phase <name...>', 'phases to check, in order (default: configure)')
    .option('--timeout <seconds>', "stop a node's check script after this many seconds (default 1800)", seconds)
    .option('--json', 'print results as JSON')
    .option('-q, --quiet', 'no progress output')
    .action(async (groups: string[], flags: CommonFlags & { phase?: string[]; timeout?: number }) => {
      const { stack, options } = await prepare(flags);
      const result = await check(stack, { ...options, groups, ...(flags.phase ? { phases: flags.phase } : {}), ...(flags.timeout ? { scriptTimeoutMs: flags.timeout * 1000 } : {}) });
      if (flags.json) printJson(result);
      else process.stdout.write(`${formatResult(result, true)}\n`);
      process.exitCode = result.ok ? 0 : 1;
    });
}
