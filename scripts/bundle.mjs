// Build dist/'s JavaScript: the library (src/index.ts) and the CLI (src/cli/main.ts) bundled
// with esbuild, split into shared chunks so that both entries, and a stack file that imports
// 'forklift' in the CLI's process, use ONE instance of every module (one ForkliftError class,
// one set of held locks). Start-up then reads a few files instead of ~150: zod's ~95 ESM
// modules are bundled in. Kept outside: esbuild (a native binary), commander, and what loads
// only when used (ssh2 on a connection, liquidjs for a template, yaml for user data), each
// from node_modules as before. Type declarations come from tsc (package.json "build").
//
// import.meta.url stays each source file's own (src/ ships in the package beside dist/), so
// code that finds files relative to itself works bundled as it did unbundled (url only: no
// source uses import.meta.dirname or .filename). Every output file is two folders down
// (dist/lib/, dist/cli/, dist/chunks/); dist/index.js re-exports dist/lib/index.js, the
// package's entry.
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const OWN = '__forklift_own_url';
const CHUNK = '__forklift_chunk_url';

/** import.meta.url of a bundled file is that source file's URL, found from the chunk's own. */
const ownImportMetaUrl = {
  name: 'forklift-own-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      if (!source.includes('import.meta')) return undefined;
      const fromChunk = `../../${relative(root, args.path).split('\\').join('/')}`;
      // On the first line, so that the file's own line numbers stay.
      return { contents: `const ${OWN} = new URL(${JSON.stringify(fromChunk)}, ${CHUNK}).href;${source}`, loader: 'ts' };
    });
  },
};

/**
 * zod's `locales` namespace (some 50 languages, a third of the bundle's bytes, parsed at every
 * start) is left out: forklift never reads it (zod registers its English messages itself).
 * A stack file that imports zod gets its own copy from node_modules, whole.
 */
const zodWithoutLocales = {
  name: 'forklift-zod-without-locales',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) => (args.importer.includes('/node_modules/zod/') ? { path: 'zod-locales', namespace: 'forklift-empty' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'forklift-empty' }, () => ({ contents: 'export {};', loader: 'js' }));
  },
};

await build({
  absWorkingDir: root,
  entryPoints: { 'lib/index': 'src/index.ts', 'cli/main': 'src/cli/main.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['esbuild', 'ssh2', 'liquidjs', 'yaml', 'commander'],
  chunkNames: 'chunks/[name]-[hash]',
  banner: { js: `const ${CHUNK} = import.meta.url;` },
  define: { 'import.meta.url': OWN },
  plugins: [ownImportMetaUrl, zodWithoutLocales],
  logLevel: 'warning',
});
await writeFile(join(root, 'dist/index.js'), "// The package's entry: the bundled library (see scripts/bundle.mjs).\nexport * from './lib/index.js';\n");
