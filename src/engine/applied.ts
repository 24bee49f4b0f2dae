// What each node runs: after a node applied a phase successfully, its tags record the digest
// of that phase's plan (`forklift-plan-<phase>`), when (`forklift-applied-at`) and from which
// operator (`forklift-applied-by`, user@host; under sudo, the user who ran sudo). `nodes`
// computes the same digest from the stack file and the tags alone, so it tells nodes whose
// code is behind without contacting them; `lift --stale` runs only on those.
//
// The digest is SHA-256 of the phase's script as it renders for the node in one canonical
// context: the stack's running nodes of the groups the stack file defines, sorted by group
// and name, each with the facts and settings in its tags (the same context whether the
// operation was a converge, a lift with --limit, or `nodes`), and each group's onOneNode
// work on its first node. So it does not move with the order nodes are listed in, with
// which nodes an operation worked on, or with the temporary topology of a rolling run (a
// member taken out of its readers is never recorded). It does move when what the plan
// reads changes: a reader of nodesWithRole('web') is behind once web nodes came or went,
// until it is configured again, and it is: its config does not list them.
import { createHash } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { ForkliftError } from '../errors.ts';
import type { Tags } from '../providers/types.ts';
import { compareText } from '../text.ts';
import { phasePlan } from '../spec/server.ts';
import { mapLimit } from './limit.ts';
import type { Operation, StackNode } from './operation.ts';
import { contextFactory, targetOf } from './phase.ts';
import { buildPhaseScript } from './script.ts';

export const APPLIED = {
  /** Prefix of the per-phase digest tags: `forklift-plan-configure`. */
  plan: 'forklift-plan-',
  at: 'forklift-applied-at',
  by: 'forklift-applied-by',
} as const;

/** Whether a node's code is the stack file's: per phase compared, and overall. */
export interface CodeStatus {
  /** current: every phase compared matches; behind: some does not (or configure was never recorded); unknown: recorded, but the node's facts are not in its tags. */
  status: 'current' | 'behind' | 'unknown';
  /** The phases whose recorded digest differs from the stack file's (or is missing). */
  behind: string[];
  /** The stack file's digest of each phase the node's group defines. */
  digests: Record<string, string>;
  appliedAt?: string;
  appliedBy?: string;
}

/** user@host of whoever runs forklift (the user who ran sudo, under sudo). */
export function operator(): string {
  let user = process.env['SUDO_USER'];
  if (!user) {
    try {
      user = userInfo().username;
    } catch {
      user = String(process.getuid?.() ?? 'unknown');
    }
  }
  return `${user}@${hostname()}`;
}

/** The canonical digest of each phase a node's group defines, for every node (settings evaluated). */
export async function planDigests(op: Operation, nodes: readonly StackNode[], phases: readonly string[]): Promise<Map<string, Record<string, string>>> {
  const refs = [...nodes].sort((a, b) => compareText(a.info.group, b.info.group) || compareText(a.info.name, b.info.name)).map((n) => n.ref);
  const out = new Map<string, Record<string, string>>();
  for (const phase of phases) {
    const context = contextFactory(op.stack.stack, phase, refs);
    await mapLimit(nodes, op.concurrency, async (node) => {
      const item = phasePlan(node.group, phase);
      if (!item) return;
      const { script } = await buildPhaseScript(item, context(node.ref), targetOf(node));
      const digests = out.get(node.info.id) ?? out.set(node.info.id, {}).get(node.info.id)!;
      digests[phase] = createHash('sha256').update(script.text).digest('hex').slice(0, 16);
    });
  }
  return out;
}

/** Every phase name some group defines, but bootstrap (forklift's own part, run once). */
export function definedPhases(op: Operation): string[] {
  return [...new Set(op.stack.groups.flatMap((g) => Object.keys(g.phases)))].filter((p) => p !== 'bootstrap').sort();
}

/**
 * Where each node's code stands. Compared: every phase the node has a digest for, and
 * configure (what converge and lift run by default) whether recorded or not.
 */
export async function codeStatus(op: Operation, nodes: readonly StackNode[]): Promise<Map<string, CodeStatus>> {
  const digests = await planDigests(op, nodes, definedPhases(op));
  return new Map(nodes.map((n) => [n.info.id, statusOf(n.info.tags, n.ref.facts !== undefined, digests.get(n.info.id) ?? {})]));
}

export function statusOf(tags: Tags, hasFacts: boolean, digests: Record<string, string>): CodeStatus {
  const compared = Object.keys(digests).filter((p) => p === 'configure' || tags[APPLIED.plan + p] !== undefined);
  const behind = compared.filter((p) => tags[APPLIED.plan + p] !== digests[p]);
  // Without facts the digest cannot be computed; a node that never recorded configure is behind all the same.
  const never = digests['configure'] !== undefined && tags[APPLIED.plan + 'configure'] === undefined;
  const status = never ? 'behind' : !hasFacts && Object.keys(digests).length ? 'unknown' : behind.length ? 'behind' : 'current';
  return {
    status,
    behind,
    digests,
    ...(tags[APPLIED.at] ? { appliedAt: tags[APPLIED.at] } : {}),
    ...(tags[APPLIED.by] ? { appliedBy: tags[APPLIED.by] } : {}),
  };
}

/** Whether the node is behind for any of `phases` (a phase it never recorded counts as behind). */
export function behindFor(status: CodeStatus | undefined, tags: Tags, phases: readonly string[]): boolean {
  if (!status || status.status === 'unknown') return true;
  return phases.some((p) => status.digests[p] !== undefined && tags[APPLIED.plan + p] !== status.digests[p]);
}

/**
 * After a run: record on each node that applied `phases` successfully the digests of those
 * phases, when and by whom; written only when a digest is new or the run changed something
 * on the node, so a no-op run costs no tag write (where tags live on the node, no round trip).
 */
export async function recordApplied(op: Operation, all: readonly StackNode[], done: ReadonlyArray<{ node: StackNode; changed: boolean }>, phases: readonly string[]): Promise<void> {
  if (!done.length || !phases.length) return;
  const digests = await planDigests(op, all, phases);
  const at = new Date().toISOString();
  const by = operator();
  await mapLimit(done, op.concurrency, async ({ node, changed }) => {
    const mine = digests.get(node.info.id) ?? {};
    const tags: Tags = Object.fromEntries(Object.entries(mine).map(([p, d]) => [APPLIED.plan + p, d]));
    const fresh = Object.entries(tags).some(([k, v]) => node.info.tags[k] !== v);
    if (!Object.keys(tags).length || (!fresh && !changed)) return;
    Object.assign(tags, { [APPLIED.at]: at, [APPLIED.by]: by });
    try {
      await op.tagNode(node.info, tags);
      Object.assign(node.info.tags, tags);
    } catch (error) {
      // The node is configured; a record that could not be written only shows it as behind.
      if (!(error instanceof ForkliftError) || error.code === 'CANCELLED') throw error;
    }
  });
}

