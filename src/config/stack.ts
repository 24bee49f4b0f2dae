// The one check of a stack config, from a stack file or passed to the library: its name,
// its groups, and its provider's options against that provider's own schema. Every
// operation calls it at its edge; a config that passed is remembered and not checked again.
import { z } from 'zod';
import { ConfigError } from '../errors.ts';
import { isProviderName, PROVIDERS, type LoadContext } from '../providers/registry.ts';
import type { Provider } from '../providers/types.ts';
import { isGroupSpec, type GroupSpec } from '../spec/group.ts';
import { check, describeIssues } from '../validate.ts';
import type { StackConfig } from './define.ts';

const isProvider = (v: unknown): v is Provider =>
  typeof v === 'object' && v !== null && typeof (v as Provider).listNodes === 'function' && typeof (v as Provider).createNode === 'function';

const stackConfigSchema = z
  .object({
    stack: z.string().regex(/^[a-z][a-z0-9-]{0,23}$/, 'stack names are 1-24 lowercase letters, digits or dashes, starting with a letter'),
    provider: z.union([z.custom<Provider>(isProvider), z.object({ name: z.string() }).passthrough()], { error: 'must be { name: "local" | "cloudstack" | "hosts", ... } or a Provider' }).optional(),
    groups: z.array(z.custom<GroupSpec>(isGroupSpec, 'must be a groupSpec(...)')).min(1, 'a stack needs at least one groupSpec(...)'),
  })
  .strict();

const checked = new WeakSet<object>();

/**
 * Check a stack config and return it typed, provider options parsed (and the files they
 * name read: a hosts inventory). `where` names it in errors (the file); `dir` is the
 * folder relative paths in it start from (the stack file's; default the current folder).
 */
export function validateStack(config: unknown, where = 'stack config', dir = process.cwd()): StackConfig {
  if (typeof config === 'object' && config !== null && checked.has(config)) return config as StackConfig;
  const parsed = check(stackConfigSchema, config);
  if (!parsed.success) throw new ConfigError(where, describeIssues(parsed.error.issues));
  const { stack, groups } = parsed.data;
  const names = groups.map((g) => g.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new ConfigError(where, `group "${dup}" is defined twice`);
  const context = { dir, where, groups: names };
  const valid: StackConfig = { stack, groups, ...(parsed.data.provider ? { provider: providerOptions(parsed.data.provider, context) } : {}) };
  checked.add(valid);
  return valid;
}

function providerOptions(provider: Provider | { name: string }, context: LoadContext): StackConfig['provider'] {
  if (isProvider(provider)) return provider;
  const { where } = context;
  const { name, ...options } = provider;
  if (!isProviderName(name)) {
    throw new ConfigError(where, `provider.name: unknown provider ${JSON.stringify(name)}; known: ${Object.keys(PROVIDERS).join(', ')}`);
  }
  const entry = PROVIDERS[name] as { optionsSchema: z.ZodType; resolve?: (o: unknown, c: LoadContext) => unknown };
  const result = check(entry.optionsSchema, options);
  if (!result.success) throw new ConfigError(where, describeIssues(result.error.issues, ['provider']));
  const resolved = entry.resolve ? entry.resolve(result.data, context) : result.data;
  return { name, ...(resolved as object) } as StackConfig['provider'];
}
