import { Command, InvalidArgumentError } from 'commander';
import { fileURLToPath } from 'node:url';

const SHELLS = ['bash', 'zsh'] as const;
type Shell = (typeof SHELLS)[number];

function shell(value: string): Shell {
  if (!(SHELLS as readonly string[]).includes(value)) throw new InvalidArgumentError(`${JSON.stringify(value)}: forklift completes in ${SHELLS.join(' and ')}`);
  return value as Shell;
}

/** The bin that runs this forklift (the script calls it back when forklift is not on PATH). */
const bin = () => fileURLToPath(new URL('../../../bin/forklift.js', import.meta.url));

export function completionCommand(): Command {
  return new Command('completion')
    .description('print the shell completion script (verbs, flags, the stack file\'s groups and nodes)')
    .argument('<shell>', SHELLS.join(' or '), shell)
    .action(async (which: Shell) => {
      const { bashScript, zshScript } = await import('../completion/scripts.ts');
      process.stdout.write(which === 'bash' ? bashScript(bin()) : zshScript(bin()));
    });
}

/** What the completion scripts call at <TAB>; prints one candidate per line, never an error. */
export function completeCommand(): Command {
  return new Command('__complete')
    .description('candidates for the word at the cursor (used by the completion scripts)')
    .argument('<shell>', SHELLS.join(' or '), shell)
    .argument('[words...]', 'the words after forklift, the one being completed last')
    .allowUnknownOption()
    .action(async (which: Shell, words: string[], _flags: unknown, cmd: Command) => {
      const [{ candidates }, { formatCandidates }, { stackFacts }] = await Promise.all([
        import('../completion/candidates.ts'),
        import('../completion/scripts.ts'),
        import('../completion/facts.ts'),
      ]);
      const list = await candidates(cmd.parent!, words.length ? words : [''], stackFacts());
      const text = formatCandidates(which, list);
      process.stdout.write(text ? `${text}\n` : '');
    });
}
