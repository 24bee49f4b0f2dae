import { Command } from 'commander';
import { check, lift, type LiftOptions } from '../../engine/lift.ts';
import type { StackConfig } from '../../config/define.ts';
import type { OperationResult } from '../../engine/results.ts';
import { formatScripts } from '../changes.ts';
import { parseAmount, parseSerial } from '../../engine/batches.ts';
import { prepare, type CommonFlags } from '../context.ts';
import { collectScripts, detailedExitcodeOption, exitCode, showScriptsOption } from '../dry-run.ts';
import { limitOption, secondsAsMs, stackFileOption } from '../options.ts';
import { formatResult, printJson } from '../output.ts';
import { paintFor } from '../progress/terminal.ts';

export function liftCommand(): Command {
  return phasesCommand('lift', 'run phases on the existing nodes (no scaling, no bootstrap)', 'run', lift, false).option('--diff', 'show a diff of each file-like action that changed (secrets as ***)');
}

/** lift's dry run: the same flags, the same result shape, nothing applied. */
export function checkCommand(): Command {
  return phasesCommand('check', 'dry run of lift: run only the read-only checks on the nodes and show what would change, with diffs', 'check', check, true).addOption(detailedExitcodeOption());
}

type Flags = CommonFlags & {
  phase?: string[]; timeout?: number; limit?: string[]; diff?: boolean; showScripts?: boolean; detailedExitcode?: boolean;
  serial?: string; maxFail?: string; stale?: boolean; rolling?: boolean;
};

function phasesCommand(name: string, description: string, verb: string, operation: (stack: StackConfig, options: LiftOptions) => Promise<OperationResult>, dryRun: boolean): Command {
  return new Command(name)
    .description(description)
    .argument('[groups...]', 'only these groups (default: all)')
    .addOption(stackFileOption())
    .option('--phase <name...>', `phases to ${verb}, in order (default: configure)`)
    .addOption(limitOption())
    .option('--serial <sizes>', 'rolling: batches of each group, N nodes or P% (a list such as 1,25%: the last size repeats); each batch runs every phase before the next')
    .option('--max-fail <n>', 'rolling: stop before the next batch once more than N nodes (or P% of them) failed; 0 stops at the first failure')
    .option('--rolling', 'take each batch (--serial, default 1) out of the nodes that read it (an lb), run it, wait for its health phase, put it back')
    .option('--stale', 'only the nodes whose code is behind the stack file (see forklift nodes)')
    .option('--timeout <seconds>', "stop a node's phase script after this many seconds (default 1800)", secondsAsMs)
    .addOption(showScriptsOption())
    .option('--json', 'print results as JSON')
    .option('-q, --quiet', 'no progress output')
    .action(async (groups: string[], flags: Flags) => {
      const { stack, options } = await prepare(flags);
      const scripts = flags.showScripts ? collectScripts(options) : undefined;
      const result = await operation(stack, {
        ...options,
        groups,
        ...(flags.phase ? { phases: flags.phase } : {}),
        ...(flags.timeout ? { scriptTimeoutMs: flags.timeout } : {}),
        ...(flags.limit ? { limit: flags.limit } : {}),
        ...(flags.diff ? { diff: true } : {}),
        ...(flags.stale ? { stale: true } : {}),
        ...(flags.rolling ? { rolling: true } : {}),
        ...(flags.serial !== undefined ? { serial: parseSerial(flags.serial) } : {}),
        ...(flags.maxFail !== undefined ? { maxFail: parseAmount(flags.maxFail, '--max-fail', { zero: true }) } : {}),
      });
      if (flags.json) printJson(scripts ? { ...result, scripts } : result);
      else {
        if (scripts?.length) process.stdout.write(`${formatScripts(scripts)}\n`);
        process.stdout.write(`${formatResult(result, dryRun, paintFor(process.stdout), dryRun || flags.diff === true)}\n`);
      }
      process.exitCode = exitCode(result.ok, result.changed > 0, flags.detailedExitcode);
    });
}
