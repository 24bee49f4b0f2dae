// Load a stack file (forklift.config.ts) and validate its default export once, here.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError, ForkliftError } from '../errors.ts';
import { isGroupSpec, groupNameSchema, type GroupSpec } from '../spec/group.ts';
import { importTypeScript } from './compile.ts';
import type { StackConfig } from './define.ts';

export const DEFAULT_CONFIG_FILE = 'forklift.config.ts';

const stackConfigSchema = z
  .object({
    stack: z.string().regex(/^[a-z][a-z0-9-]{0,23}$/, 'stack names are 1-24 lowercase letters, digits or dashes, starting with a letter'),
    provider: z.union([z.object({ name: z.enum(['local', 'cloudstack', 'hosts']) }).passthrough(), z.custom<object>((v) => typeof v === 'object' && v !== null && 'listNodes' in v)]).optional(),
    groups: z.array(z.custom<GroupSpec>(isGroupSpec, 'must be a groupSpec(...)')).min(1),
  })
  .strict();

/** Check a stack config (from a file or from code) and return it typed. */
export function validateStackConfig(config: unknown, where: string): StackConfig {
  const parsed = stackConfigSchema.safeParse(config);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(where, `${issue.path.join('.') || 'default export'}: ${issue.message}`);
  }
  const names = parsed.data.groups.map((g) => g.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new ConfigError(where, `group "${dup}" is defined twice`);
  for (const n of names) groupNameSchema.parse(n);
  return parsed.data as StackConfig;
}

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
  return validateStackConfig(mod.default, file);
}

/** esbuild reports syntax errors with a location; anything else is the thrown error's first line. */
function describeLoadError(error: unknown): string {
  const errors = (error as { errors?: Array<{ text: string; location?: { file: string; line: number; column: number } | null }> }).errors;
  if (Array.isArray(errors) && errors.length) {
    return errors.map((e) => (e.location ? `${e.location.file}:${e.location.line}:${e.location.column}: ${e.text}` : e.text)).join('; ');
  }
  return (error as Error)?.message?.split('\n')[0] ?? String(error);
}
