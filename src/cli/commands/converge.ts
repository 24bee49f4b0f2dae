import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { converge } from '../../engine/converge.ts';
import { applyPlan, parseSavedPlan } from '../../engine/saved-plan.ts';
import { ConfigError, UsageError } from '../../errors.ts';
import { parseCounts } from '../counts.ts';
import { prepare, type CommonFlags } from '../context.ts';
import { showScriptsOption, detailedExitcodeOption } from '../dry-run.ts';
import { secondsAsMs, stackFileOption } from '../options.ts';
import { formatResult, printJson } from '../output.ts';
import { runPlan } from './plan.ts';

const COUNT_WORD = /^[a-z0-9-]+=\d+$/;

type Flags = CommonFlags & { phase?: string[]; timeout?: number; plan?: string | true; out?: string; detailedExitcode?: boolean; showScripts?: boolean };

export function convergeCommand(): Command {
  return new Command('converge')
    .description('bring each group to its count, bootstrap new nodes, then configure every node of the stack')
    .argument('[counts...]', 'GROUP=N pairs (lb=1 web=4) or Pallet\'s form (lb 1 web 4)')
    .addOption(stackFileOption())
    .option('--phase <name...>', 'phases to run after bootstrap (default: configure)')
    .option('--plan [file]', 'with counts: only show the plan (as forklift plan); with a saved plan FILE: apply exactly it, refusing nodes changed since')
    .option('--out <file>', 'with --plan and counts: save the plan (as forklift plan --out)')
    .addOption(detailedExitcodeOption().hideHelp())
    .addOption(showScriptsOption().hideHelp())
    .option('--timeout <seconds>', "stop a node's phase script after this many seconds (default 1800)", secondsAsMs)
    .option('--json', 'print results as JSON')
    .option('-q, --quiet', 'no progress output')
    .action(async (words: string[], flags: Flags) => {
      // `--plan lb=1 web=6`: the option took the first count as its value; give it back.
      let file = flags.plan;
      if (typeof file === 'string' && COUNT_WORD.test(file)) {
        words = [file, ...words];
        file = true;
      }
      if (file === true) {
        process.exitCode = await runPlan(parseCounts(words), flags);
        return;
      }
      if (typeof file === 'string') {
        if (words.length) throw new UsageError(`converge --plan ${file} applies the counts the plan was made for; give no counts (${words.join(' ')})`);
        let text: string;
        try {
          text = readFileSync(file, 'utf8');
        } catch (error) {
          throw new ConfigError(file, `cannot read the saved plan: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
        }
        const saved = parseSavedPlan(text, file);
        const { stack, options } = await prepare(flags);
        const result = await applyPlan(stack, saved, { ...options, ...(flags.timeout ? { scriptTimeoutMs: flags.timeout } : {}) });
        if (flags.json) printJson(result);
        else process.stdout.write(`${formatResult(result)}\n`);
        process.exitCode = result.ok ? 0 : 1;
        return;
      }
      const counts = parseCounts(words);
      const { stack, options } = await prepare(flags);
      const result = await converge(stack, counts, { ...options, ...(flags.phase ? { phases: flags.phase } : {}), ...(flags.timeout ? { scriptTimeoutMs: flags.timeout } : {}) });
      if (flags.json) printJson(result);
      else process.stdout.write(`${formatResult(result)}\n`);
      process.exitCode = result.ok ? 0 : 1;
    });
}
