#!/usr/bin/env node
// forklift's CLI runs the compiled library in dist/ (built by `npm install` through the
// `prepare` script). In a source checkout, a dist/ older than src/ is rebuilt first.
import { spawnSync } from 'node:child_process';
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

const sources = join(root, 'src');
if (existsSync(join(sources, 'index.ts')) && existsSync(join(root, 'tsconfig.build.json'))) {
  if (!existsSync(built) || newestSource(sources) > statSync(built).mtimeMs) {
    process.stderr.write('· building dist/ from src/ (npm run build)\n');
    const r = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0) process.exit(r.status ?? 1);
  }
}

const { main } = await import(built);
process.exitCode = await main(process.argv.slice(2));
