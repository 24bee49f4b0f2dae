// Import a TypeScript stack file without a TypeScript loader in the process: esbuild
// bundles the file and the files it imports by path into one ES module. Packages stay
// external, each resolved from the file that imports it (as Node would, with ESM
// conditions) and written as an absolute URL, so a package is the same module instance
// forklift itself uses. The bundle is imported from memory (a data: URL), never written
// to disk: a stack file may hold secrets, and a file beside it would be left behind by a
// killed process. Each bundled file keeps its own import.meta.url (and dirname, filename),
// so a crate in a subfolder finds its templates with `new URL('./x.liquid', import.meta.url)`;
// stack traces name the stack file.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Plugin } from 'esbuild';

const SKIP = Symbol('forklift.resolving');

const packagesExternal: Plugin = {
  name: 'forklift-packages-external',
  setup(b) {
    // Bare specifiers only: relative and absolute paths are bundled.
    b.onResolve({ filter: /^[^./]/ }, async (args) => {
      if ((args.pluginData as { [SKIP]?: boolean } | undefined)?.[SKIP] || isAbsolute(args.path)) return undefined;
      const found = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: { [SKIP]: true } });
      if (found.errors.length) return { errors: found.errors };
      if (found.external || !isAbsolute(found.path)) return { path: args.path, external: true };
      return { path: pathToFileURL(found.path).href, external: true };
    });
  },
};

/** import.meta's file-location fields, per bundled file. */
const OWN = { url: '__forklift_import_meta_url', filename: '__forklift_import_meta_filename', dirname: '__forklift_import_meta_dirname' };
const LOADERS = { '.ts': 'ts', '.mts': 'ts', '.cts': 'ts', '.tsx': 'tsx', '.js': 'js', '.mjs': 'js', '.cjs': 'js', '.jsx': 'jsx' } as const;

/** import.meta.url (and .filename, .dirname) of a bundled file are that file's, not the bundle's. */
const ownImportMetaUrl: Plugin = {
  name: 'forklift-own-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /\.[cm]?[jt]sx?$/, namespace: 'file' }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      if (!source.includes('import.meta')) return undefined;
      // On the file's first line (after a #! line), so error line numbers stay the file's own.
      const at = source.startsWith('#!') ? source.indexOf('\n') + 1 : 0;
      const values = { url: pathToFileURL(args.path).href, filename: args.path, dirname: dirname(args.path) };
      const own = `const ${Object.entries(OWN).map(([k, name]) => `${name} = ${JSON.stringify(values[k as keyof typeof values])}`).join(', ')};`;
      return { contents: `${source.slice(0, at)}${own}${source.slice(at)}`, loader: LOADERS[extname(args.path) as keyof typeof LOADERS] ?? 'ts' };
    });
  },
};

export async function importTypeScript(path: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(path).href;
  // Loaded when a stack file is (a command without one does not pay for it); require, not
  // import(): esbuild is CommonJS, and import() would first scan it for its exports (~20 ms).
  const { build } = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
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
    plugins: [packagesExternal, ownImportMetaUrl],
    footer: { js: `//# sourceURL=${url}` },
  });
  const code = Buffer.from(result.outputFiles[0]!.contents).toString('base64');
  return (await import(`data:text/javascript;base64,${code}`)) as Record<string, unknown>;
}
