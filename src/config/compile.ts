// Import a TypeScript stack file without a TypeScript loader in the process: esbuild
// bundles the file and the files it imports by path into one ES module. Packages stay
// external, each resolved from the file that imports it (as Node would, with ESM
// conditions) and written as an absolute URL, so a package is the same module instance
// forklift itself uses. The result is written beside the stack file (so its
// import.meta.url and relative URLs hold), imported, and removed, as Vite does for
// vite.config.ts.
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';
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
  });
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}-${randomBytes(3).toString('hex')}.mjs`);
  writeFileSync(temp, result.outputFiles[0]!.contents);
  try {
    return (await import(pathToFileURL(temp).href)) as Record<string, unknown>;
  } finally {
    rmSync(temp, { force: true });
  }
}
