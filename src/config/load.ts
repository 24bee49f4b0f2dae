// Load a stack file (forklift.config.ts): compile it, import it, validate its default export.
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError, ForkliftError } from '../errors.ts';
import { importTypeScript } from './compile.ts';
import { DEFAULT_CONFIG_FILE, type StackConfig } from './define.ts';
import { validateStack } from './stack.ts';

export async function loadConfig(file = DEFAULT_CONFIG_FILE, cwd = process.cwd()): Promise<StackConfig> {
  const path = resolve(cwd, file);
  if (!existsSync(path)) {
    throw new ConfigError(file, file === DEFAULT_CONFIG_FILE ? 'not found in this folder; name a stack file with -f FILE' : 'file not found');
  }
  let mod: { default?: unknown };
  try {
    mod = await importTypeScript(path);
  } catch (error) {
    if (error instanceof ForkliftError) throw new ConfigError(file, error.message);
    throw new ConfigError(file, `could not be loaded: ${describeLoadError(error)}`);
  }
  if (mod.default === undefined) throw new ConfigError(file, 'has no default export; export default defineConfig({ stack, groups })');
  return validateStack(mod.default, file, dirname(path));
}

/** esbuild reports syntax errors with a location; anything else is the thrown error's first line. */
function describeLoadError(error: unknown): string {
  const errors = (error as { errors?: Array<{ text: string; location?: { file: string; line: number; column: number } | null }> }).errors;
  if (Array.isArray(errors) && errors.length) {
    return errors.map((e) => (e.location ? `${e.location.file}:${e.location.line}:${e.location.column}: ${e.text}` : e.text)).join('; ');
  }
  return (error as Error)?.message?.split('\n')[0] ?? String(error);
}
