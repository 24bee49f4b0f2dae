import { Command } from 'commander';
import { destroy, destroyTargets } from '../../engine/destroy.ts';
import { ForkliftError, UsageError } from '../../errors.ts';
import { canAsk, confirm } from '../confirm.ts';
import { prepare, type CommonFlags } from '../context.ts';
import { stackFileOption } from '../options.ts';
import { formatRemoved, printJson } from '../output.ts';

/** The nodes destroy would remove, a few by name. */
const names = (list: ReadonlyArray<{ name: string; id: string }>, most = 5) =>
  list.slice(0, most).map((n) => n.name || n.id).join(', ') + (list.length > most ? ` and ${list.length - most} more` : '');

export function destroyCommand(): Command {
  return new Command('destroy')
    .description("remove the stack's nodes (all, or those of the named groups); asks first on a terminal")
    .argument('[groups...]', 'only these groups')
    .addOption(stackFileOption())
    .option('-y, --yes', 'remove without asking (needed without a terminal: scripts, CI)')
    .option('--json', 'print removed nodes as JSON')
    .option('-q, --quiet', 'no progress output')
    .action(async (groups: string[], flags: CommonFlags & { yes?: boolean }) => {
      const { stack, options } = await prepare(flags);
      let ids: string[] | undefined;
      if (!flags.yes) {
        // Listed without progress: the reporter is the removal's, which follows.
        const doomed = await destroyTargets(stack, { ...(options.signal ? { signal: options.signal } : {}), groups });
        if (doomed.length === 0) {
          if (flags.json) printJson([]);
          else process.stdout.write(`${formatRemoved([])}\n`);
          return;
        }
        const what = `${doomed.length} node${doomed.length === 1 ? '' : 's'} of stack ${stack.stack}`;
        if (!canAsk()) throw new UsageError(`destroy would remove ${what} (${names(doomed)}) and asks first, but there is no terminal to ask on; pass --yes to remove them`);
        process.stderr.write(`forklift destroy will remove ${what}:\n${doomed.map((n) => `  - ${n.name || n.id} (${n.group || 'no group'}) ${n.address}`).join('\n')}\n`);
        if (!(await confirm(`Remove ${doomed.length === 1 ? 'it' : `these ${doomed.length}`}? Type yes to remove: `))) {
          throw new ForkliftError('destroy cancelled; nothing was removed', 'DECLINED');
        }
        ids = doomed.map((n) => n.id);
      }
      const removed = await destroy(stack, { ...options, groups, ...(ids ? { ids } : {}) });
      if (flags.json) printJson(removed);
      else process.stdout.write(`${formatRemoved(removed)}\n`);
    });
}
