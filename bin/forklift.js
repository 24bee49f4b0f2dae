#!/usr/bin/env node
// forklift's CLI runs the compiled library in dist/ (built by `npm install` through the
// `prepare` script, and by `npm pack`).
import { existsSync, readdirSync, statSync } from 'node:fs';
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

const args = process.argv.slice(2);
const { main } = await import(built);
process.exitCode = await main(args);
