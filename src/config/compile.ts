// Import a TypeScript stack file without a TypeScript loader in the process: esbuild
// bundles the file and the files it imports by path into one ES module. Packages stay
// external, each resolved from the file that imports it (as Node would, with ESM
// conditions) and written as an absolute URL, so a package is the same module instance
// forklift itself uses. The bundle is imported from memory (a data: URL); it is kept in
// the user's private cache (cache.ts) with the stamps of every file it was made from, so a
// run whose stack file and packages have not changed compiles nothing. Each bundled file
// keeps its own import.meta.url (and dirname, filename), so a crate in a subfolder finds
// its templates with `new URL('./x.liquid', import.meta.url)`; stack traces name the stack
// file.
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, isAbsolute, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Loader, Plugin } from 'esbuild';
import { cacheDir, readCompiled, stampOf, writeCompiled, type Stamp } from './cache.ts';

const SKIP = Symbol('forklift.resolving');

/** Bare specifiers are external, resolved to absolute URLs; each package file resolved, and its package.json, is stamped. */
const packagesExternal = (stamps: Map<string, Stamp>): Plugin => ({
  name: 'forklift-packages-external',
  setup(b) {
    // Bare specifiers only: relative and absolute paths are bundled.
    b.onResolve({ filter: /^[^./]/ }, async (args) => {
      if ((args.pluginData as { [SKIP]?: boolean } | undefined)?.[SKIP] || isAbsolute(args.path)) return undefined;
      const found = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: { [SKIP]: true } });
      if (found.errors.length) return { errors: found.errors };
      if (found.external || !isAbsolute(found.path)) return { path: args.path, external: true };
      if (!stamps.has(found.path)) {
        stamps.set(found.path, stampOf(found.path));
        // What the package.json says (exports, main) decides the file: a change to it is a change.
        const manifest = packageJsonOf(found.path);
        if (manifest && !stamps.has(manifest)) stamps.set(manifest, stampOf(manifest));
      }
      return { path: pathToFileURL(found.path).href, external: true };
    });
  },
});

/** The package.json nearest above a file, if any. */
function packageJsonOf(file: string): string | undefined {
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/** import.meta's file-location fields, per bundled file. */
const OWN = { url: '__forklift_import_meta_url', filename: '__forklift_import_meta_filename', dirname: '__forklift_import_meta_dirname' };
const LOADERS: Record<string, Loader> = { '.ts': 'ts', '.mts': 'ts', '.cts': 'ts', '.tsx': 'tsx', '.js': 'js', '.mjs': 'js', '.cjs': 'js', '.jsx': 'jsx', '.json': 'json' };

/**
 * Every bundled file is read here, stamped from the descriptor it is read from (the cache's
 * record of what was compiled), and given its own import.meta.url (and .filename, .dirname).
 */
const readAndStamp = (stamps: Map<string, Stamp>): Plugin => ({
  name: 'forklift-read-and-stamp',
  setup(b) {
    b.onLoad({ filter: /.*/, namespace: 'file' }, (args) => {
      const loader = LOADERS[extname(args.path)];
      if (!loader) {
        // esbuild's own loaders (text, files): it reads them; stamped as they are now.
        stamps.set(args.path, stampOf(args.path));
        return undefined;
      }
      const fd = openSync(args.path, 'r');
      let source: string;
      try {
        stamps.set(args.path, stampOf(args.path, fd));
        source = readFileSync(fd, 'utf8');
      } finally {
        closeSync(fd);
      }
      if (loader === 'json' || !source.includes('import.meta')) return { contents: source, loader };
      // On the file's first line (after a #! line), so error line numbers stay the file's own.
      const at = source.startsWith('#!') ? source.indexOf('\n') + 1 : 0;
      const values = { url: pathToFileURL(args.path).href, filename: args.path, dirname: dirname(args.path) };
      const own = `const ${Object.entries(OWN).map(([k, name]) => `${name} = ${JSON.stringify(values[k as keyof typeof values])}`).join(', ')};`;
      return { contents: `${source.slice(0, at)}${own}${source.slice(at)}`, loader };
    });
  },
});

/** The stack file's code as one ES module: from the cache when nothing it was made from changed, else compiled (and kept). */
function compiled(path: string): string | Promise<string> {
  const dir = cacheDir();
  // Entries of another installed forklift are never used (their packages resolve elsewhere).
  const build = import.meta.url;
  const kept = dir ? readCompiled(dir, path, build) : undefined;
  if (kept !== undefined) return kept;
  return compile(path).then(({ code, stamps }) => {
    if (dir) writeCompiled(dir, path, build, stamps, code);
    return code;
  });
}

async function compile(path: string): Promise<{ code: string; stamps: Stamp[] }> {
  // Loaded when a stack file is compiled (a run from the cache does not pay for it); require,
  // not import(): esbuild is CommonJS, and import() would first scan it for its exports (~20 ms).
  const { build } = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
  const stamps = new Map<string, Stamp>();
  const result = await build({
    entryPoints: [path],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['import', 'node'],
    write: false,
    logLevel: 'silent',
    define: Object.fromEntries(Object.entries(OWN).map(([k, name]) => [`import.meta.${k}`, name])),
    plugins: [packagesExternal(stamps), readAndStamp(stamps)],
    footer: { js: `//# sourceURL=${pathToFileURL(path).href}` },
  });
  return { code: Buffer.from(result.outputFiles[0]!.contents).toString('utf8'), stamps: [...stamps.values()] };
}

export async function importTypeScript(path: string): Promise<Record<string, unknown>> {
  const code = await compiled(path);
  return (await import(`data:text/javascript;base64,${Buffer.from(code, 'utf8').toString('base64')}`)) as Record<string, unknown>;
}
