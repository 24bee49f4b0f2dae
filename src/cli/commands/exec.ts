import { Command } from 'commander';
import { exec, type ExecResult } from '../../engine/exec.ts';
import { prepare, type CommonFlags } from '../context.ts';
import { limitOption, secondsAsMs, stackFileOption } from '../options.ts';
import { printJson } from '../output.ts';

export function execCommand(): Command {
  return new Command('exec')
    .description('run a command on every running node of a group, in parallel (exit 1 when any node fails)')
    .usage('[options] GROUP -- COMMAND...')
    .argument('<group>', 'the group whose nodes run the command')
    .argument('<command...>', 'the command, after -- (run by the node\'s shell, words joined by spaces)')
    .addOption(stackFileOption())
    .option('--timeout <seconds>', "stop a node's command after this many seconds (the node fails; default 600)", secondsAsMs)
    .addOption(limitOption())
    .option('--json', 'print per-node results as JSON')
    .action(async (group: string, words: string[], flags: CommonFlags & { timeout?: number; limit?: string[] }) => {
      // Output is per node lines, so no progress lines in between.
      const { stack, options } = await prepare({ ...flags, quiet: true });
      const result = await exec(stack, group, words.join(' '), { ...options, ...(flags.timeout ? { timeoutMs: flags.timeout } : {}), ...(flags.limit ? { limit: flags.limit } : {}) });
      if (flags.json) printJson(result);
      else printOutput(result);
      process.exitCode = result.ok ? 0 : 1;
    });
}

/** Each output line prefixed with its node's name, as pssh does; failures last, on stderr. */
function printOutput(result: ExecResult): void {
  const width = Math.max(0, ...result.nodes.map((n) => n.name.length));
  const prefixed = (name: string, text: string) =>
    text ? text.replace(/\n$/, '').split('\n').map((line) => `${name.padEnd(width)} | ${line}\n`).join('') : '';
  for (const n of result.nodes) {
    process.stdout.write(prefixed(n.name, n.stdout));
    process.stderr.write(prefixed(n.name, n.stderr));
  }
  if (result.nodes.length === 0) process.stderr.write(`no running nodes in group ${result.group}\n`);
  for (const n of result.nodes) if (n.error) process.stderr.write(`✗ ${n.error.message}\n`);
}
