// Server specs: phases of plans, roles and a node spec, composed with `extends`.
import { z } from 'zod';
import { parseSpec } from '../validate.ts';
import { isPlan, type Plan, plan } from './plan.ts';
import { mergeNodeSpecs, nodeSpecSchema, type NodeSpec } from './node.ts';

export interface ServerSpec {
  readonly kind: 'server';
  /** Phase name → plans, run in order (inherited first). */
  readonly phases: Readonly<Record<string, readonly Plan[]>>;
  readonly roles: readonly string[];
  readonly nodeSpec?: NodeSpec;
}

export interface ServerSpecInput {
  phases?: Record<string, Plan>;
  extends?: ServerSpec | readonly ServerSpec[];
  roles?: readonly string[];
  nodeSpec?: NodeSpec;
}

const phaseName = z.string().regex(/^[a-z][a-z0-9-]*$/, 'phase names are lowercase words');
const planSchema = z.custom<Plan>(isPlan, 'must be a plan(...)');
const serverSpecSchema = z
  .object({
    phases: z.record(phaseName, planSchema).optional(),
    extends: z.union([z.custom<ServerSpec>(isServerSpec, 'must be a serverSpec'), z.array(z.custom<ServerSpec>(isServerSpec, 'must be a serverSpec'))]).optional(),
    roles: z.array(z.string().min(1)).optional(),
    nodeSpec: nodeSpecSchema.optional(),
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
  for (const spec of specs) {
    for (const [name, plans] of Object.entries(spec.phases)) (phases[name] ??= []).push(...plans);
    for (const role of spec.roles) roles.add(role);
    if (spec.nodeSpec) nodeSpec = mergeNodeSpecs(nodeSpec, spec.nodeSpec);
  }
  return nodeSpec ? { kind: 'server', phases, roles: [...roles], nodeSpec } : { kind: 'server', phases, roles: [...roles] };
}

export function serverSpec(input: ServerSpecInput, where = 'serverSpec'): ServerSpec {
  const parsed = parseSpec(serverSpecSchema, input, where);
  const inherited = parsed.extends === undefined ? [] : Array.isArray(parsed.extends) ? parsed.extends : [parsed.extends as ServerSpec];
  const own: ServerSpec = {
    kind: 'server',
    phases: Object.fromEntries(Object.entries(parsed.phases ?? {}).map(([name, p]) => [name, [p]])),
    roles: parsed.roles ?? [],
    ...(input.nodeSpec ? { nodeSpec: input.nodeSpec } : {}),
  };
  return mergeServerSpecs([...inherited, own]);
}

/** The whole phase as one plan (the chained plans in order). */
export function phasePlan(spec: ServerSpec, phase: string): Plan | undefined {
  const plans = spec.phases[phase];
  return plans?.length ? plan(...plans) : undefined;
}
