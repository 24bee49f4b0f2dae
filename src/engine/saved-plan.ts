// Saved plans: `plan --out plan.json` records what the plan found (creates, removes, each
// staying node's check results and the digests of the content each change reads and
// writes); `converge --plan plan.json` first checks every node again, planned the same way,
// and refuses, naming each node whose state differs, before changing anything; then it
// applies exactly those creates and removes, and runs the phases. forklift's checks are
// shell predicates and digests, so "the same checks give the same answers" is a promise.
import { z } from 'zod';
import type { StackConfig } from '../config/define.ts';
import { validateStack } from '../config/stack.ts';
import { ConfigError, ForkliftError, UsageError } from '../errors.ts';
import { pickGroups } from '../spec/group.ts';
import { compareText } from '../text.ts';
import { describeIssues, check } from '../validate.ts';
import { applyScaling, validateCounts } from './converge.ts';
import { phasesToRun } from './lift.ts';
import { withOperation, type Operation, type OperationOptions } from './operation.ts';
import { checkPlanned, scale, type StackPlan } from './plan.ts';
import type { NodeResult, OperationResult } from './results.ts';
import type { FileChange } from './diff.ts';

const name = z.string().min(1);
const savedAction = z.object({ phase: name, name: z.string(), status: z.enum(['changed', 'would-change', 'ok', 'failed', 'skipped']), digests: z.array(z.string()) }).strict();

export const savedPlanSchema = z
  .object({
    format: z.literal('forklift-plan'),
    version: z.literal(1),
    stack: name,
    createdAt: z.string(),
    counts: z.record(z.string(), z.number().int().min(0)),
    phases: z.array(name),
    create: z.array(z.object({ name, group: name }).strict()),
    remove: z.array(z.object({ id: name, name: z.string(), group: z.string(), reason: z.string() }).strict()),
    nodes: z.array(z.object({ id: name, name, group: name, actions: z.array(savedAction) }).strict()),
  })
  .strict();

export type SavedPlan = z.output<typeof savedPlanSchema>;

/** A digest per file a change touches: the content now and the content planned. */
const digestsOf = (changes: readonly FileChange[] | undefined) =>
  (changes ?? []).map((c) => `${c.path} ${c.before.digest ?? c.before.kind} ${c.after ? (c.after.digest ?? c.after.kind) : '?'}`);

const savedNode = (n: NodeResult) => ({
  id: n.id,
  name: n.name,
  group: n.group,
  actions: n.actions.map((a) => ({ phase: a.phase, name: a.name, status: a.status, digests: digestsOf(a.changes) })),
});

/** The plan as a saved plan file's data. A plan that failed on a node cannot be saved (it would promise nothing). */
export function savePlan(plan: StackPlan, now = new Date()): SavedPlan {
  const failed = plan.nodes.filter((n) => !n.ok).map((n) => n.name);
  if (failed.length) throw new UsageError(`the plan failed on ${failed.join(', ')}; a plan that failed is not saved (fix it, then run forklift plan again)`);
  return {
    format: 'forklift-plan',
    version: 1,
    stack: plan.stack,
    createdAt: now.toISOString(),
    counts: plan.counts,
    phases: plan.phases,
    create: plan.create,
    remove: plan.remove.map(({ id, name: n, group, reason }) => ({ id, name: n, group, reason })),
    nodes: plan.nodes.map(savedNode),
  };
}

/** A saved plan file's text, checked: a bad one is one line naming the file and the field. */
export function parseSavedPlan(text: string, file: string): SavedPlan {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(file, `not a saved plan: not JSON (${(error as Error).message})`);
  }
  const result = check(savedPlanSchema, data);
  if (!result.success) throw new ConfigError(file, `not a valid saved plan: ${describeIssues(result.error.issues)}`);
  return result.data;
}

/** A saved plan that no longer matches the stack: the nodes that changed, each with what changed. */
export class StalePlanError extends ForkliftError {
  constructor(readonly stale: ReadonlyArray<{ node: string; why: string }>) {
    super(`the saved plan is stale, nothing was changed: ${stale.map((s) => `node ${s.node}: ${s.why}`).join('; ')}; run forklift plan again`, 'STALE_PLAN');
  }
}

/** Apply a saved plan: refuse it whole if any node changed since it was made, else exactly its creates, removes and phases. */
export async function applyPlan(config: StackConfig, saved: SavedPlan, options: OperationOptions = {}): Promise<OperationResult> {
  const stack = validateStack(config);
  if (saved.stack !== stack.stack) throw new UsageError(`the saved plan is for stack ${saved.stack}, this stack is ${stack.stack}`);
  const counted = pickGroups(stack.groups, [...new Set([...saved.create.map((c) => c.group), ...saved.remove.map((r) => r.group).filter(Boolean)])]);
  const phases = phasesToRun(stack, saved.phases);
  return withOperation(stack, options, async (op) => {
    await validateCounts(op, counted, saved.counts);
    const now = await scale(op, [], {});
    const listed = new Map([...now.keep, ...now.remove.map((r) => r.node)].map((n) => [n.id, n]));
    const stale: Array<{ node: string; why: string }> = [];
    const removeIds = new Set(saved.remove.map((r) => r.id));
    for (const r of saved.remove) if (!listed.has(r.id)) stale.push({ node: r.name || r.id, why: 'to be removed, but it is gone' });
    for (const r of now.remove) if (!removeIds.has(r.node.id)) stale.push({ node: r.node.name || r.node.id, why: `${r.reason}, and the plan does not remove it` });
    const keep = now.keep.filter((n) => !removeIds.has(n.id));
    const planned = new Map(saved.nodes.map((n) => [n.id, n]));
    for (const n of keep) if (!planned.has(n.id)) stale.push({ node: n.name, why: 'it is new since the plan' });
    for (const n of saved.nodes) if (!keep.some((k) => k.id === n.id)) stale.push({ node: n.name, why: 'it is gone or not running' });
    for (const c of saved.create) if (listed.has(c.name) || [...listed.values()].some((n) => n.name === c.name)) stale.push({ node: c.name, why: 'to be created, but a node has its name' });
    if (stale.length) throw new StalePlanError(stale);
    stale.push(...(await recheck(op, keep.filter((n) => planned.has(n.id)), saved, phases)));
    if (stale.length) throw new StalePlanError(stale);
    const groups = new Map(stack.groups.map((g) => [g.name, g]));
    const remove = saved.remove.map((r) => ({ node: listed.get(r.id)!, reason: r.reason }));
    const create = saved.create.map((c) => ({ group: groups.get(c.group)!, name: c.name }));
    return applyScaling(op, { keep, remove, create }, phases);
  }, 'converge');
}

/** Check the nodes again, planned as the plan was: any action whose result or digests differ makes its node stale. */
async function recheck(op: Operation, keep: Parameters<typeof checkPlanned>[1], saved: SavedPlan, phases: string[]): Promise<Array<{ node: string; why: string }>> {
  const { nodes } = await checkPlanned(op, keep, saved.create, phases);
  const stale: Array<{ node: string; why: string }> = [];
  const planned = new Map(saved.nodes.map((n) => [n.id, n]));
  for (const n of [...nodes].sort((a, b) => compareText(a.name, b.name))) {
    if (!n.ok) {
      stale.push({ node: n.name, why: `its check failed: ${n.error?.message ?? 'failed'}` });
      continue;
    }
    const was = planned.get(n.id)!.actions;
    const now = savedNode(n).actions;
    const why = difference(was, now);
    if (why) stale.push({ node: n.name, why });
  }
  return stale;
}

function difference(was: SavedPlan['nodes'][number]['actions'], now: SavedPlan['nodes'][number]['actions']): string | undefined {
  for (let i = 0; i < Math.max(was.length, now.length); i++) {
    const a = was[i];
    const b = now[i];
    if (!a) return `action "${b!.name}" is new since the plan`;
    if (!b || a.name !== b.name || a.phase !== b.phase) return `action "${a.name}" is not planned the same way (the stack's code changed)`;
    if (a.status !== b.status) return `action "${a.name}" was ${a.status} in the plan and is ${b.status} now`;
    if (a.digests.join('\n') !== b.digests.join('\n')) {
      const at = a.digests.findIndex((d, j) => d !== b.digests[j]);
      const file = (a.digests[at] ?? b.digests[at] ?? '').split(' ')[0];
      return `${file || `action "${a.name}"`} changed since the plan (action "${a.name}")`;
    }
  }
  return undefined;
}
