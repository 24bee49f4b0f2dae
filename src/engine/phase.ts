// Run one phase on many nodes at once: one script per node over its connection.
// A failing node stops only itself; the phase ends when every node is done (a barrier).
import type { Target } from '../actions/types.ts';
import { ActionError, ForkliftError, nodeFailure, type Failure } from '../errors.ts';
import { parseFacts, type NodeFacts } from '../shell/facts.ts';
import { CANNOT_START, parseRecords, renderScript, type ScriptMode } from '../shell/script.ts';
import { maskSecrets } from '../shell/sh.ts';
import { ConnectionLostError } from '../transport/errors.ts';
import type { RunOutput } from '../transport/types.ts';
import type { NodeRef, NodeView, PlanContext, PlanItem } from '../spec/plan.ts';
import { tail } from '../text.ts';
import { mapLimit } from './limit.ts';
import type { Operation, StackNode } from './operation.ts';
import type { NodeActionResult } from './results.ts';
import { buildPhaseScript } from './script.ts';
import { readChanges } from './diff.ts';

export interface NodePhaseResult {
  ok: boolean;
  actions: NodeActionResult[];
  error?: Failure;
  /** The node's facts as its script's trailer printed them (when the script got to its end). */
  facts?: NodeFacts;
}

export interface PhaseRun {
  phase: string;
  nodes: readonly StackNode[];
  /** Every node of the stack, for nodesWithRole. */
  all: readonly NodeRef[];
  /** The plan a node runs in this phase (nothing → the node does no round trip). */
  planFor(node: StackNode): PlanItem;
  mode?: ScriptMode;
  /** Ids of the nodes that run their group's onOneNode work in this phase (default: each group's first node). */
  oneNode?: ReadonlySet<string>;
}

export async function runPhase(op: Operation, run: PhaseRun): Promise<Map<string, NodePhaseResult>> {
  const started = Date.now();
  op.emit({ type: 'phase-start', phase: run.phase, nodes: run.nodes.map((n) => n.info.name) });
  const context = contextFactory(op.stack.stack, run.phase, run.all, run.oneNode);
  const results = await mapLimit(run.nodes, op.concurrency, async (node) => {
    const t0 = Date.now();
    op.emit({ type: 'node-phase-start', phase: run.phase, node: node.info.name });
    const result = await runOnNode(op, run, node, context(node.ref)).catch((error: unknown): NodePhaseResult => {
      if (!(error instanceof ForkliftError)) throw error;
      return { ok: false, actions: [], error: nodeFailure(node.info.name, error, { group: node.info.group, phase: run.phase }) };
    });
    const changed = result.actions.filter((a) => a.changed).length;
    op.emit({ type: 'node-phase-done', phase: run.phase, node: node.info.name, ok: result.ok, changed, ms: Date.now() - t0, ...(result.error ? { error: result.error } : {}), actions: result.actions });
    return [node.info.id, result] as const;
  });
  op.emit({ type: 'phase-end', phase: run.phase, ms: Date.now() - started });
  return new Map(results);
}

/**
 * Plan contexts for one phase. The role and group indexes are built once per phase, not
 * once per node, so planning a phase costs the same per node at 10 nodes as at 10,000.
 */
export function contextFactory(stack: string, phase: string, refs: readonly NodeRef[], oneNode?: ReadonlySet<string>): (node: NodeRef) => PlanContext {
  const all: NodeView[] = refs.map(view);
  const byId = new Map(all.map((n) => [n.id, n]));
  const byRole = new Map<string, NodeView[]>();
  const byGroup = new Map<string, NodeView[]>();
  for (const n of all) {
    for (const role of n.roles) (byRole.get(role) ?? byRole.set(role, []).get(role)!).push(n);
    (byGroup.get(n.group) ?? byGroup.set(n.group, []).get(n.group)!).push(n);
  }
  return (ref) => {
    const node = byId.get(ref.id) ?? view(ref);
    // The engine reads a node's facts before it plans it; a ref made by hand (tests) has none.
    const planned = { ...node, facts: node.facts ?? NO_FACTS };
    return {
      stack,
      phase,
      node: planned,
      settings: planned.settings,
      nodes: all,
      nodesWithRole: (role) => [...(byRole.get(role) ?? [])],
      nodesInGroup: (group) => [...(byGroup.get(group) ?? [])],
      ...(oneNode ? { oneNode: oneNode.has(ref.id) } : {}),
    };
  };
}

const view = (ref: NodeRef): NodeView => (ref.settings ? (ref as NodeView) : { ...ref, settings: {} });

const NO_FACTS: NodeFacts = { os: { family: '', version: '', codename: '', like: [] }, architecture: '', packageArchitecture: '', cpus: 0, memoryMiB: 0, hostname: '', address: '', kernel: '' };

export function planContext(stack: string, phase: string, node: NodeRef, all: readonly NodeRef[]): PlanContext {
  return contextFactory(stack, phase, all)(node);
}

export function targetOf(node: StackNode): Target {
  const facts = node.ref.facts;
  const os = facts ? { family: facts.os.family, version: facts.os.version } : node.info.os;
  return { node: { name: node.info.name, group: node.info.group, address: node.info.address }, os, ...(facts ? { facts } : {}) };
}

async function runOnNode(op: Operation, run: PhaseRun, node: StackNode, ctx: PlanContext): Promise<NodePhaseResult> {
  op.throwIfCancelled();
  const { script, actions, sources, previews, blocks, secrets } = await buildPhaseScript(run.planFor(node), ctx, targetOf(node), run.mode, { diff: op.diff });
  if (actions.length === 0) return { ok: true, actions: [] };
  if (op.showScripts) {
    const applyScript = run.mode === 'check' ? { applyScript: renderScript(blocks, 'apply').shown } : {};
    op.emit({ type: 'node-script', phase: run.phase, node: node.info.name, script: script.shown, ...applyScript });
  }
  const where = { node: node.info.name, group: node.info.group, phase: run.phase };
  // What the node prints back may hold a secret's value (a config shown by a failing check): masked.
  const mask = (text: string) => maskSecrets(text, secrets);
  const results = (records: ReturnType<typeof parseRecords>['records']): NodeActionResult[] =>
    records.map((r) => {
      // A previewed step's frames come first in its stdout: read into changes, never shown raw.
      const { stdout, changes } = readChanges(r.stdout, previews[r.index] ?? [], secrets);
      return {
        phase: run.phase,
        name: actions[r.index]?.label ?? `#${r.index}`,
        status: r.status,
        changed: r.status === 'changed' || r.status === 'would-change',
        exitCode: r.exitCode,
        stdout: mask(stdout),
        stderr: mask(r.stderr),
        ...(changes.length ? { changes } : {}),
      };
    });
  let out: RunOutput;
  try {
    // The channel stays open for the node's next command (a tag write, the next phase): one exec per node per operation.
    const options = { ...(op.signal ? { signal: op.signal } : {}), ...(sources.size ? { sources } : {}), timeoutMs: op.scriptTimeoutMs, keepChannel: true };
    out = await op.sessions.run(node.info, (conn) => conn.runScript(script.text, options));
  } catch (error) {
    if (error instanceof ConnectionLostError) {
      op.sessions.drop(node.info.id);
      const done = results(parseRecords(error.stdout).records);
      const next = actions[done.length]?.label;
      const message = `node ${node.info.name} (${error.details.host}:${error.details.port}): connection lost during phase ${run.phase}${next ? `, in action "${next}"` : ''}; the script may have partly run`;
      return { ok: false, actions: done, error: { ...nodeFailure(node.info.name, error, where), message } };
    }
    if (!(error instanceof ForkliftError) || error.code !== 'TIMEOUT') throw error;
    op.sessions.drop(node.info.id);
    const message = `node ${node.info.name}: phase ${run.phase} still running after ${op.scriptTimeoutMs / 1000} s; stopped it`;
    return { ok: false, actions: [], error: { code: 'TIMEOUT', message, ...where } };
  }
  const parsed = parseRecords(out.stdout);
  const done = results(parsed.records);
  const stderr = mask(out.stderr.toString());
  const failed = done.find((r) => r.status === 'failed');
  if (failed) {
    const error = new ActionError({ ...where, action: failed.name, exitCode: failed.exitCode, stderrTail: tail(failed.stderr || failed.stdout) });
    return { ok: false, actions: done, error: error.toJSON() };
  }
  if (out.exitCode === CANNOT_START && done.length === 0) {
    const message = `node ${node.info.name}: phase ${run.phase} could not start on the node: ${tail(stderr) || `exit code ${out.exitCode}`}`;
    return { ok: false, actions: [], error: { code: 'SCRIPT', message, ...where, exitCode: out.exitCode, stderrTail: tail(stderr) } };
  }
  if (out.exitCode !== 0 || done.length !== actions.length) {
    // The script itself died outside any action (killed, out of disk).
    const next = actions[done.length]?.label ?? 'script';
    const error = new ActionError({ ...where, action: next, exitCode: out.exitCode, stderrTail: tail(stderr) });
    return { ok: false, actions: done, error: error.toJSON() };
  }
  return { ok: true, actions: done, ...(parsed.facts !== undefined ? { facts: parseFacts(parsed.facts) } : {}) };
}
