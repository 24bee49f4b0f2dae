import { Command } from 'commander';
import { ssh } from '../../engine/ssh.ts';
import { prepare, type CommonFlags } from '../context.ts';
import { stackFileOption } from '../options.ts';

export function sshCommand(): Command {
  return new Command('ssh')
    .description("open a shell on one node (or run a command there) with forklift's key; the node's host key is pinned")
    .usage('[options] NODE [-- COMMAND...]')
    .argument('<node>', 'node name (as `forklift nodes` lists it)')
    .argument('[command...]', 'a command to run instead of a shell, after --')
    .addOption(stackFileOption())
    .action(async (node: string, command: string[], flags: CommonFlags) => {
      const { stack, options } = await prepare({ ...flags, quiet: true });
      process.exitCode = await ssh(stack, node, { ...options, command });
    });
}
