// Load a stack file (forklift.config.ts) and validate its default export once, here.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { ConfigError, ForkliftError } from '../errors.ts';
import { isGroupSpec, groupNameSchema, type GroupSpec } from '../spec/group.ts';
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
    mod = (await import(pathToFileURL(path).href)) as { default?: unknown };
  } catch (error) {
    if (error instanceof ForkliftError) throw new ConfigError(file, error.message);
    const e = error as Error;
    const hint = /require\(\) ES Module|ERR_REQUIRE_ESM|Cannot use import statement/.test(e.message)
      ? ' (the file is read as CommonJS: add "type": "module" to the nearest package.json, or name it .mts)'
      : '';
    throw new ConfigError(file, `could not be loaded: ${e.message.split('\n')[0]}${hint}`);
  }
  if (mod.default === undefined) throw new ConfigError(file, 'has no default export; export default defineConfig({ stack, groups })');
  return validateStackConfig(mod.default, file);
}
