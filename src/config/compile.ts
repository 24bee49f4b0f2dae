// Import a TypeScript stack file without a TypeScript loader in the process: esbuild
// bundles the file and the files it imports by path into one ES module. Packages stay
// external, each resolved from the file that imports it (as Node would, with ESM
// conditions) and written as an absolute URL, so a package is the same module instance
// forklift itself uses. The bundle is imported from memory (a data: URL), never written
// to disk: a stack file may hold secrets, and a file beside it would be left behind by a
// killed process. import.meta.url (and dirname, filename) are the stack file's own, and
// stack traces name it.
import { dirname, isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';

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

export async function importTypeScript(path: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(path).href;
  const result = await build({
    entryPoints: [path],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['import', 'node'],
    write: false,
    logLevel: 'silent',
    plugins: [packagesExternal],
    define: {
      'import.meta.url': JSON.stringify(url),
      'import.meta.filename': JSON.stringify(path),
      'import.meta.dirname': JSON.stringify(dirname(path)),
    },
    footer: { js: `//# sourceURL=${url}` },
  });
  const code = Buffer.from(result.outputFiles[0]!.contents).toString('base64');
  return (await import(`data:text/javascript;base64,${code}`)) as Record<string, unknown>;
}
