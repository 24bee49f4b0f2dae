// The CLI's one exit path: a ForkliftError prints one line (no stack); anything else is
// an internal error and prints its stack. Exit codes: 0 ok, 1 failed, 2 usage, 130 cancelled,
// 70 internal error. With --detailed-exitcode (plan, check) 2 means "would change" and a
// usage error exits 1, as Terraform's errors do.
import { Command, CommanderError, Option } from 'commander';
import { ForkliftError } from '../errors.ts';
import { cloudstackEndpointCommand } from './commands/cloudstack-endpoint.ts';
import { completeCommand, completionCommand } from './commands/completion.ts';
import { convergeCommand } from './commands/converge.ts';
import { destroyCommand } from './commands/destroy.ts';
import { execCommand } from './commands/exec.ts';
import { initCommand } from './commands/init.ts';
import { checkCommand, liftCommand } from './commands/lift.ts';
import { nodesCommand } from './commands/nodes.ts';
import { planCommand } from './commands/plan.ts';
import { sessionsCommand } from './commands/sessions.ts';
import { sshCommand } from './commands/ssh.ts';
import { unlockCommand } from './commands/unlock.ts';
import { finishProgress } from './context.ts';
import { examplesText } from './examples.ts';
import { version } from './package.ts';
import { setNoColor } from './progress/terminal.ts';

/** Verbs that show progress: -q silences it, -v shows every node's script and output. */
const PROGRESS_VERBS = new Set(['plan', 'converge', 'lift', 'check', 'destroy']);

export function program(): Command {
  const root = new Command('forklift')
    .description('infrastructure in code: provision groups of nodes and configure them from TypeScript')
    .version(`forklift ${version()}`, '-V, --version', "print forklift's version")
    .option('--no-color', 'no colours (as NO_COLOR=1 does)')
    .addCommand(initCommand())
    .addCommand(planCommand())
    .addCommand(convergeCommand())
    .addCommand(liftCommand())
    .addCommand(checkCommand())
    .addCommand(nodesCommand())
    .addCommand(execCommand())
    .addCommand(sshCommand())
    .addCommand(destroyCommand())
    .addCommand(unlockCommand())
    .addCommand(sessionsCommand())
    .addCommand(completionCommand())
    .addCommand(versionCommand())
    .addCommand(cloudstackEndpointCommand())
    .addCommand(completeCommand(), { hidden: true })
    .hook('preAction', (_root, action) => setNoColor(action.optsWithGlobals()['color'] === false));
  for (const cmd of root.commands.filter((c) => PROGRESS_VERBS.has(c.name()))) {
    const quiet = cmd.options.find((o) => o.long === '--quiet');
    if (quiet) quiet.description = 'only errors and the result (no progress)';
    cmd.addOption(new Option('-v, --verbose', "a line per node, each node's script (secrets as ***) and what each action printed").conflicts('quiet'));
  }
  // addCommand does not pass settings down: every command throws instead of exiting, and
  // prints a wrong command line as one line, as forklift prints its other errors.
  for (const cmd of [root, ...root.commands]) {
    cmd.exitOverride().configureOutput({ outputError: (text, write) => write(`forklift: ${text.replace(/^error: /, '')}`) });
    cmd.configureHelp({ showGlobalOptions: true });
    const examples = examplesText(cmd.name());
    if (examples) cmd.addHelpText('after', examples);
  }
  root.addHelpText('after', '\nRun `forklift help VERB` for a verb\'s options and examples; `forklift init` makes a stack to start from.\n');
  return root;
}

/** A usage error exits 2, except with --detailed-exitcode, where 2 means "changes" and a usage error is 1. */
const usage = (argv: readonly string[]) => (argv.includes('--detailed-exitcode') ? 1 : 2);

function versionCommand(): Command {
  return new Command('version').description("print forklift's version (as --version)").action(() => {
    process.stdout.write(`forklift ${version()}\n`);
  });
}

export async function main(argv: string[]): Promise<number> {
  // A reader that stopped reading (`forklift nodes | head -1`) ends the output, quietly, as
  // other command-line tools end: no stack trace for an EPIPE.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
      process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
    });
  }
  try {
    await program().parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    finishProgress();
    // A wrong command line exits 2, as usage errors do; --help and --version exit 0.
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : usage(argv);
    if (error instanceof ForkliftError) {
      process.stderr.write(`forklift: ${error.message}\n`);
      return error.code === 'CANCELLED' ? 130 : error.code === 'USAGE' ? usage(argv) : 1;
    }
    process.stderr.write(`forklift: internal error (please report):\n${(error as Error)?.stack ?? String(error)}\n`);
    return 70;
  }
}
