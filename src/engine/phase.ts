// Run one phase on many nodes at once: one script per node over its pooled connection.
// A failing node stops only itself; the phase ends when every node is done (a barrier).
import type { Target } from '../actions/types.ts';
import { ActionError, ForkliftError, tail } from '../errors.ts';
import { TAG } from '../providers/types.ts';
import { RUN_FROM_STDIN, parseRecords, type ScriptMode } from '../shell/script.ts';
import type { NodeRef, PlanContext, PlanItem } from '../spec/plan.ts';
import { mapLimit } from './limit.ts';
import type { Operation, StackNode } from './operation.ts';
import type { NodeActionResult } from './results.ts';
import { buildPhaseScript } from './script.ts';

export interface NodePhaseResult {
  ok: boolean;
  actions: NodeActionResult[];
  error?: string;
}

export interface PhaseRun {
  phase: string;
  nodes: readonly StackNode[];
  /** Every node of the stack, for nodesWithRole. */
  all: readonly NodeRef[];
  /** The plan a node runs in this phase (nothing → the node does no round trip). */
  planFor(node: StackNode): PlanItem;
  mode?: ScriptMode;
}

export async function runPhase(op: Operation, run: PhaseRun): Promise<Map<string, NodePhaseResult>> {
  const started = Date.now();
  op.emit({ type: 'phase-start', phase: run.phase, nodes: run.nodes.map((n) => n.info.name) });
  const results = await mapLimit(run.nodes, op.concurrency, async (node) => {
    const t0 = Date.now();
    const result = await runOnNode(op, run, node).catch((error: unknown): NodePhaseResult => {
      if (!(error instanceof ForkliftError)) throw error;
      return { ok: false, actions: [], error: error.message };
    });
    const changed = result.actions.filter((a) => a.changed).length;
    op.emit({ type: 'node-phase-done', phase: run.phase, node: node.info.name, ok: result.ok, changed, ms: Date.now() - t0, ...(result.error ? { error: result.error } : {}) });
    return [node.info.id, result] as const;
  });
  op.emit({ type: 'phase-end', phase: run.phase, ms: Date.now() - started });
  return new Map(results);
}

export function planContext(stack: string, phase: string, node: NodeRef, all: readonly NodeRef[]): PlanContext {
  return {
    stack,
    phase,
    node,
    nodes: all,
    nodesWithRole: (role) => all.filter((n) => n.roles.includes(role)),
    nodesInGroup: (group) => all.filter((n) => n.group === group),
  };
}

export function targetOf(node: StackNode): Target {
  // Image facts are recorded in the node's tags ("debian-12").
  const [family = 'debian', version = ''] = (node.info.tags[TAG.image] ?? 'debian').split('-');
  return { node: { name: node.info.name, group: node.info.group, address: node.info.address }, os: { family, version } };
}

async function runOnNode(op: Operation, run: PhaseRun, node: StackNode): Promise<NodePhaseResult> {
  op.throwIfCancelled();
  const ctx = planContext(op.stack.stack, run.phase, node.ref, run.all);
  const { script, actions } = await buildPhaseScript(run.planFor(node), ctx, targetOf(node), run.mode);
  if (actions.length === 0) return { ok: true, actions: [] };
  const conn = await op.pool.get(node.info);
  let out;
  try {
    out = await conn.run(RUN_FROM_STDIN, script.text, op.signal, op.scriptTimeoutMs);
  } catch (error) {
    if (!(error instanceof ForkliftError) || error.code !== 'TIMEOUT') throw error;
    op.pool.drop(node.info.id);
    return { ok: false, actions: [], error: `node ${node.info.name}: phase ${run.phase} still running after ${op.scriptTimeoutMs / 1000} s; stopped it` };
  }
  const { records } = parseRecords(out.stdout);
  const results: NodeActionResult[] = records.map((r) => ({
    phase: run.phase,
    name: actions[r.index]?.label ?? `#${r.index}`,
    status: r.status,
    changed: r.status === 'changed' || r.status === 'would-change',
    exitCode: r.exitCode,
    stdout: r.stdout,
    stderr: r.stderr,
  }));
  const failed = results.find((r) => r.status === 'failed');
  if (failed) {
    return { ok: false, actions: results, error: new ActionError(node.info.name, failed.name, failed.exitCode, tail(failed.stderr || failed.stdout)).message };
  }
  if (out.exitCode !== 0 || records.length !== actions.length) {
    // The script itself died outside any action (killed, out of disk, no /tmp).
    const next = actions[records.length]?.label ?? 'script';
    return { ok: false, actions: results, error: new ActionError(node.info.name, next, out.exitCode, tail(out.stderr.toString())).message };
  }
  return { ok: true, actions: results };
}
