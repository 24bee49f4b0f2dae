// The CLI's one exit path: a ForkliftError prints one line (no stack); anything else is
// an internal error and prints its stack.
import { Command, CommanderError } from 'commander';
import { ForkliftError } from '../errors.ts';
import { cloudstackEndpointCommand } from './commands/cloudstack-endpoint.ts';
import { convergeCommand } from './commands/converge.ts';
import { destroyCommand } from './commands/destroy.ts';
import { execCommand } from './commands/exec.ts';
import { checkCommand, liftCommand } from './commands/lift.ts';
import { nodesCommand } from './commands/nodes.ts';
import { sshCommand } from './commands/ssh.ts';
import { unlockCommand } from './commands/unlock.ts';

export function program(): Command {
  return new Command('forklift')
    .description('infrastructure in code: provision groups of nodes and configure them from TypeScript')
    .showHelpAfterError()
    .exitOverride()
    .addCommand(convergeCommand())
    .addCommand(liftCommand())
    .addCommand(checkCommand())
    .addCommand(nodesCommand())
    .addCommand(execCommand())
    .addCommand(sshCommand())
    .addCommand(destroyCommand())
    .addCommand(unlockCommand())
    .addCommand(cloudstackEndpointCommand());
}

export async function main(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof ForkliftError) {
      process.stderr.write(`forklift: ${error.message}\n`);
      return error.code === 'CANCELLED' ? 130 : 1;
    }
    process.stderr.write(`forklift: internal error (please report):\n${(error as Error)?.stack ?? String(error)}\n`);
    return 70;
  }
}
