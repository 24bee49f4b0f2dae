import { writeFileSync } from 'node:fs';
import { Command } from 'commander';
import { ConfigError } from '../../errors.ts';
import { planStack } from '../../engine/plan.ts';
import { savePlan } from '../../engine/saved-plan.ts';
import { formatPlan, formatScripts } from '../changes.ts';
import { parseCounts } from '../counts.ts';
import { prepare, say, type CommonFlags } from '../context.ts';
import { collectScripts, detailedExitcodeOption, exitCode, showScriptsOption } from '../dry-run.ts';
import { stackFileOption } from '../options.ts';
import { printJson } from '../output.ts';
import { paintFor } from '../progress/terminal.ts';

export interface PlanFlags extends CommonFlags {
  phase?: string[];
  out?: string;
  detailedExitcode?: boolean;
  showScripts?: boolean;
}

export function planCommand(): Command {
  return new Command('plan')
    .description('show what converge (with counts) or lift (without) would do to the whole stack, with diffs; change nothing')
    .argument('[counts...]', 'GROUP=N pairs (lb=1 web=6); without counts, the groups keep their sizes')
    .addOption(stackFileOption())
    .option('--phase <name...>', 'phases to plan, in order (default: configure)')
    .option('--out <file>', 'save the plan, for `forklift converge --plan FILE` to apply exactly it')
    .addOption(detailedExitcodeOption())
    .addOption(showScriptsOption())
    .option('--json', 'print the plan as JSON')
    .option('-q, --quiet', 'no progress output')
    .action(async (words: string[], flags: PlanFlags) => {
      process.exitCode = await runPlan(words.length ? parseCounts(words) : undefined, flags);
    });
}

/** plan, and converge --plan with counts. */
export async function runPlan(counts: Record<string, number> | undefined, flags: PlanFlags): Promise<number> {
  const { stack, options } = await prepare(flags);
  const scripts = flags.showScripts ? collectScripts(options) : undefined;
  const plan = await planStack(stack, counts, { ...options, ...(flags.phase ? { phases: flags.phase } : {}) });
  if (flags.out) {
    const saved = savePlan(plan);
    try {
      writeFileSync(flags.out, `${JSON.stringify(saved, null, 2)}\n`, { mode: 0o600 });
    } catch (error) {
      throw new ConfigError(flags.out, `cannot write the plan: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
  if (flags.json) printJson(scripts ? { ...plan, scripts } : plan);
  else {
    if (scripts?.length) process.stdout.write(`${formatScripts(scripts)}\n`);
    process.stdout.write(`${formatPlan(plan, paintFor(process.stdout))}\n`);
  }
  if (flags.out) say(`saved the plan to ${flags.out}; apply exactly it with: forklift converge -f ${flags.file ?? 'forklift.config.ts'} --plan ${flags.out}`);
  return exitCode(plan.ok, plan.changes, flags.detailedExitcode);
}
