// Server specs: phases of plans, roles and a node spec, composed with `extends`.
import { z } from 'zod';
import { parseSpec } from '../validate.ts';
import { isPlan, type Plan, plan } from './plan.ts';
import { mergeNodeSpecs, nodeSpecSchema, type NodeSpec } from './node.ts';
import { isTypedSettings, type SettingsItem } from './settings.ts';

export interface ServerSpec {
  readonly kind: 'server';
  /** Phase name → plans, run in order (inherited first). */
  readonly phases: Readonly<Record<string, readonly Plan[]>>;
  readonly roles: readonly string[];
  readonly nodeSpec?: NodeSpec;
  /** Settings, merged in order (inherited first), evaluated per node before any phase. */
  readonly settings?: readonly SettingsItem[];
}

export interface ServerSpecInput {
  phases?: Record<string, Plan>;
  extends?: ServerSpec | readonly ServerSpec[];
  roles?: readonly string[];
  nodeSpec?: NodeSpec;
  /**
   * What the node carries and publishes to the others: a plain object, a function of the
   * settings context (`(ctx) => ({ password: ctx.generatedSecret('db') })`), typed values
   * (`defineSettings(schema).values(...)`), or a list of them.
   */
  settings?: SettingsItem | readonly SettingsItem[];
}

const isSettingsItem = (v: unknown) => typeof v === 'function' || isTypedSettings(v) || (typeof v === 'object' && v !== null && !Array.isArray(v) && !isPlan(v));
const settingsItem = z.custom<SettingsItem>(isSettingsItem, 'must be an object of settings, a function of the settings context, or defineSettings(...).values(...)');

const phaseName = z.string().regex(/^[a-z][a-z0-9-]*$/, 'phase names are lowercase words');
const planSchema = z.custom<Plan>(isPlan, 'must be a plan(...)');
const serverSpecSchema = z
  .object({
    phases: z.record(phaseName, planSchema).optional(),
    extends: z.union([z.custom<ServerSpec>(isServerSpec, 'must be a serverSpec'), z.array(z.custom<ServerSpec>(isServerSpec, 'must be a serverSpec'))]).optional(),
    roles: z.array(z.string().min(1)).optional(),
    nodeSpec: nodeSpecSchema.optional(),
    settings: z.union([z.array(settingsItem), settingsItem]).optional(),
  })
  .strict();

export function isServerSpec(value: unknown): value is ServerSpec {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'server';
}

/**
 * Pallet's merge: `extends` folds left to right with the spec's own parts last;
 * phases of the same name chain (inherited first); roles are a set union; node specs merge deeply.
 */
export function mergeServerSpecs(specs: readonly ServerSpec[]): ServerSpec {
  const phases: Record<string, Plan[]> = {};
  const roles = new Set<string>();
  let nodeSpec: NodeSpec | undefined;
  const settings: SettingsItem[] = [];
  for (const spec of specs) {
    for (const [name, plans] of Object.entries(spec.phases)) (phases[name] ??= []).push(...plans);
    for (const role of spec.roles) roles.add(role);
    if (spec.nodeSpec) nodeSpec = mergeNodeSpecs(nodeSpec, spec.nodeSpec);
    settings.push(...(spec.settings ?? []));
  }
  return { kind: 'server', phases, roles: [...roles], ...(nodeSpec ? { nodeSpec } : {}), ...(settings.length ? { settings } : {}) };
}

export function serverSpec(input: ServerSpecInput, where = 'serverSpec'): ServerSpec {
  const parsed = parseSpec(serverSpecSchema, input, where);
  const inherited = parsed.extends === undefined ? [] : Array.isArray(parsed.extends) ? parsed.extends : [parsed.extends as ServerSpec];
  const own: ServerSpec = {
    kind: 'server',
    phases: Object.fromEntries(Object.entries(parsed.phases ?? {}).map(([name, p]) => [name, [p]])),
    roles: parsed.roles ?? [],
    ...(input.nodeSpec ? { nodeSpec: input.nodeSpec } : {}),
    ...(input.settings !== undefined ? { settings: Array.isArray(input.settings) ? [...(input.settings as SettingsItem[])] : [input.settings as SettingsItem] } : {}),
  };
  return mergeServerSpecs([...inherited, own]);
}

/** The whole phase as one plan (the chained plans in order). */
export function phasePlan(spec: ServerSpec, phase: string): Plan | undefined {
  const plans = spec.phases[phase];
  return plans?.length ? plan(...plans) : undefined;
}
