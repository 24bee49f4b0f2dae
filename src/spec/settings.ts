// Settings, Pallet's way: values a group's nodes carry and publish to the others. A server
// or group spec lists settings (plain objects, functions of the settings context, or typed
// values checked by a zod schema); the engine evaluates them for every node of the stack
// before any phase is planned, merges them with the node's own variables, and plans read
// them as `ctx.settings`, and other nodes' as `ctx.nodesWithRole('db')[0].settings`.
import { z } from 'zod';
import { SpecError } from '../errors.ts';
import { Secret, secret } from '../shell/sh.ts';
import { describeIssues } from '../validate.ts';
import type { NodeRef, PlanContext, Settings } from './plan.ts';

export type { Settings };

export interface GeneratedSecretOptions {
  /** Random bytes (default 24: 32 characters of base64url). */
  bytes?: number;
  /** `node` (default): each node has its own; `group`: one value for every node of the group. */
  scope?: 'node' | 'group';
}

/** What a settings function sees: the node (facts when known, vars) and the stack's other nodes. */
export interface SettingsContext {
  stack: string;
  node: NodeRef;
  nodes: readonly NodeRef[];
  nodesWithRole(role: string): NodeRef[];
  nodesInGroup(group: string): NodeRef[];
  /**
   * A random secret (crypto random, base64url), made once and kept in the stack's state (the
   * node's tags), so every run gets the same value. Shown as *** everywhere.
   */
  generatedSecret(name: string, options?: GeneratedSecretOptions): Secret;
}

type Values = Record<string, unknown>;
export type SettingsFn<V = Values> = (ctx: SettingsContext) => V | Promise<V>;

/** Settings checked by a schema: made by `defineSettings(schema).values(...)`. */
export interface TypedSettings {
  readonly kind: 'settings';
  readonly schema: z.ZodType<Values>;
  readonly values: Values | SettingsFn;
}

export type SettingsItem = Values | SettingsFn | TypedSettings;

export interface SettingsDef<S extends z.ZodType<Values>> {
  readonly schema: S;
  /** Settings a spec publishes, checked (merged with the rest) by the schema before any phase. */
  values(values: Partial<z.input<S>> | SettingsFn<Partial<z.input<S>>>): TypedSettings;
  /** A node's settings (a NodeRef, or the plan context for the node being planned) as the schema's type. */
  of(from: NodeRef | PlanContext): z.output<S>;
}

export function isTypedSettings(value: unknown): value is TypedSettings {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'settings';
}

/**
 * Typed settings: a zod object schema (defaults welcome). Publish with `.values(...)` in a
 * spec's `settings`, read with `.of(node)`.
 */
export function defineSettings<S extends z.ZodType<Values>>(schema: S): SettingsDef<S> {
  const parsed = new WeakMap<object, z.output<S>>();
  return {
    schema,
    values: (values) => ({ kind: 'settings', schema, values: values as Values | SettingsFn }),
    of(from) {
      const settings = ('phase' in from ? from.settings : from.settings) ?? {};
      const known = parsed.get(settings);
      if (known !== undefined) return known;
      const name = 'phase' in from ? from.node.name : from.name;
      const value = checkSettings(schema, settings, name);
      parsed.set(settings, value);
      return value;
    },
  };
}

/** Settings through a schema; a mismatch is one SpecError naming the node and the field. */
export function checkSettings<S extends z.ZodType>(schema: S, settings: Settings, node: string): z.output<S> {
  const result = schema.safeParse(settings);
  if (!result.success) throw new SpecError(`settings of node ${node}`, describeIssues(result.error.issues));
  return result.data;
}

/** A secret setting: a `secret()` (generated or not), or a string (from an inventory), made secret. */
export const secretSchema = z.union([z.instanceof(Secret), z.string().transform((s) => secret(s))], { error: 'must be a secret() or a string' });

const isPlain = (v: unknown): v is Values => typeof v === 'object' && v !== null && !Array.isArray(v) && [Object.prototype, null].includes(Object.getPrototypeOf(v));

/** Later wins; plain objects merge deeply; arrays, secrets and other values are replaced. */
export function mergeSettings(base: Settings, over: Settings): Values {
  const out: Values = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    const b = out[k];
    out[k] = isPlain(b) && isPlain(v) ? mergeSettings(b, v) : v;
  }
  return out;
}
