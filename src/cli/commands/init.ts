import { Command } from 'commander';

export function initCommand(): Command {
  return new Command('init')
    .description('start a stack: write forklift.config.ts (one group, local provider), package.json and tsconfig.json, then npm install')
    .argument('[dir]', 'the folder (made if missing)', '.')
    .option('--stack <name>', "the stack's name (default: the folder's name)")
    .option('--force', 'overwrite files that exist')
    .option('--no-install', 'write the files only (no npm install)')
    .action(async (dir: string, flags: { stack?: string; force?: boolean; install: boolean }) => {
      // Loaded here: no other verb pays for it.
      const { init, nextSteps } = await import('../init/write.ts');
      const result = await init(dir, flags, (line) => process.stderr.write(`${line}\n`));
      process.stdout.write(`${nextSteps(result)}\n`);
    });
}
