// Build dist/'s JavaScript: the library (src/index.ts) and the CLI (src/cli/main.ts) bundled
// with esbuild, split into shared chunks so that both entries, and a stack file that imports
// 'forklift' in the CLI's process, use ONE instance of every module (one ForkliftError class,
// one set of held locks). Start-up then reads a few files instead of ~150: zod's ~95 ESM
// modules and commander are bundled in. Kept outside: esbuild (a native binary), and what
// loads only when used (ssh2 on a connection, liquidjs for a template, yaml for user data),
// each from node_modules as before. Type declarations come from tsc (package.json "build").
import { build } from 'esbuild';

await build({
  entryPoints: { index: 'src/index.ts', 'cli/main': 'src/cli/main.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['esbuild', 'ssh2', 'liquidjs', 'yaml', 'commander'],
  chunkNames: 'chunks/[name]-[hash]',
  // A module's top-level code runs in the order Node would run it (imports are hoisted either way).
  logLevel: 'warning',
});
