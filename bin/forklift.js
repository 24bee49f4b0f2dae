#!/usr/bin/env node
// forklift's CLI runs the compiled library in dist/ (built by `npm install` through the
// `prepare` script, and by `npm pack`).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'dist/cli/main.js');

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

// In a source checkout, say so when dist/ is older than src/ (rebuilding here could pull
// dist/ from under another forklift process that is running).
const sources = join(root, 'src');
if (existsSync(join(root, 'tsconfig.build.json')) && existsSync(join(sources, 'index.ts'))) {
  if (!existsSync(built)) {
    process.stderr.write('forklift: dist/ is not built; run `npm install` (or `npm run build`) in ' + root + '\n');
    process.exit(1);
  }
  if (newestSource(sources) > statSync(built).mtimeMs) {
    process.stderr.write('forklift: warning: dist/ is older than src/; run `npm run build` to use your changes\n');
  }
}

// A command with a stack file compiles it with esbuild, whose service is a child process:
// start it now, so that it starts while the CLI loads instead of after (~20-40 ms). Commands
// without a stack file (help, version) skip it; a wrong guess costs only that time.
const args = process.argv.slice(2);
const NO_STACK = new Set(['help', 'completion', 'init', 'cloudstack-endpoint']);
if (args.length > 0 && !NO_STACK.has(args[0]) && !args.some((a) => ['-h', '--help', '-V', '--version'].includes(a))) {
  try {
    createRequire(import.meta.url)('esbuild').transform('').catch(() => {});
  } catch {
    // no esbuild: the command says so when it needs it
  }
}

const { main } = await import(built);
process.exitCode = await main(args);
