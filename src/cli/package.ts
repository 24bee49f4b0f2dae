// The forklift package this CLI runs from: its folder and version.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The package's folder (src/cli/ and dist/cli/ are both two levels down). */
export const packageRoot = (): string => fileURLToPath(new URL('../../', import.meta.url));

export function version(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

/** Installed as a package (from the registry or a tarball), rather than run from a checkout of its source. */
export const isInstalledPackage = (root = packageRoot()): boolean => /[\\/]node_modules[\\/]/.test(root);
