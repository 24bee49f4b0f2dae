// lift: run phases on the stack's existing nodes; no scaling, no bootstrap.
import { SpecError, UsageError } from '../errors.ts';
import type { StackConfig } from '../config/define.ts';
import { validateStack } from '../config/stack.ts';
import { TAG } from '../providers/types.ts';
import { pickGroups } from '../spec/group.ts';
import { phasePlan } from '../spec/server.ts';
import { bootstrapPlan } from './bootstrap.ts';
import { Operation, withOperation, type OperationOptions, type StackNode } from './operation.ts';
import { runPhase } from './phase.ts';
import { gatherFacts, updateFacts } from './facts.ts';
import { evaluateSettings } from './settings.ts';
import type { Failure } from '../errors.ts';
import type { NodeFacts } from '../shell/facts.ts';
import type { PlanItem } from '../spec/plan.ts';
import type { ScriptMode } from '../shell/script.ts';
import { countChanged, type NodeResult, type OperationResult } from './results.ts';
import { inScope } from './scope.ts';
import { compareText } from '../text.ts';
import { readersInScope, rollingHooks } from './rolling.ts';
import { behindFor, codeStatus, recordApplied } from './applied.ts';
import { batches, parseAmount, parseSerial, tooManyFailed, type Amount, type Serial } from './batches.ts';

export interface LiftOptions extends OperationOptions {
  /** Only these groups (default: all). */
  groups?: string[];
  /** Phases in order (default: configure, when some group defines it). */
  phases?: string[];
  /**
   * Only these nodes (names; `--limit a,b`), of the groups asked for: the other nodes of the
   * stack are not contacted, and still count for nodesWithRole. A name the stack does not
   * have is a UsageError listing its nodes.
   */
  limit?: string[];
  /**
   * Rolling run (Ansible's serial): batches of each group, N nodes (`2`) or a share
   * (`'25%'`), or a list of sizes whose last repeats (`[1, '50%']`); a batch runs every
   * phase before the next batch starts. Default: every node at once.
   */
  serial?: Serial;
  /**
   * Stop before the next batch once more nodes have failed than this (N, or a share of the
   * nodes the run works on; 0: the first failure); the nodes not reached are the result's
   * `untouched`. Default: stop when every node of a batch failed.
   */
  maxFail?: Amount;
  /**
   * Rolling with the topology: each batch (serial, default 1) is taken out of every node
   * that reads it (their configure runs without it: haproxy stops sending to it), runs its
   * phases and its group's `health` phase, then is put back. Readers in the run go first.
   */
  rolling?: boolean;
  /** Only the nodes whose code is behind for the phases run (see `nodes`: their recorded plan digest is not the stack file's). */
  stale?: boolean;
}

export async function lift(stack: StackConfig, options: LiftOptions = {}): Promise<OperationResult> {
  return liftIn('apply', stack, options);
}

/**
 * A dry run of lift: every node runs only the read-only checks of its actions and
 * reports which would change (status "would-change"); nothing on the nodes changes.
 */
export async function check(stack: StackConfig, options: LiftOptions = {}): Promise<OperationResult> {
  return liftIn('check', stack, options);
}

async function liftIn(mode: ScriptMode, config: StackConfig, options: LiftOptions): Promise<OperationResult> {
  const stack = validateStack(config);
  if (options.groups?.length) pickGroups(stack.groups, options.groups);
  const phases = phasesToRun(stack, options.phases);
  // A dry run changes nothing: there is nothing to take out of the readers.
  if (options.rolling && mode === 'check') throw new UsageError('rolling: check is a dry run and configures no reader; run check without --rolling');
  const rolling = { serial: options.serial === undefined ? undefined : parseSerial(options.serial), maxFail: options.maxFail === undefined ? undefined : parseAmount(options.maxFail, 'maxFail', { zero: true }) };
  return withOperation(stack, options, async (op) => {
    const all = await op.listed();
    const scope = inScope(stack.stack, all, { groups: options.groups, limit: options.limit });
    // Only the nodes that will work are contacted (their state read on the connection they then run on).
    const defined = new Set(stack.groups.map((g) => g.name));
    const listed = op.stackNodes(await op.readState(all, (n) => phases.length > 0 && (scope(n) || options.rolling === true) && defined.has(n.group)));
    const stale = options.stale ? await staleNodes(op, listed.filter((n) => n.info.state === 'running'), phases) : undefined;
    const only = (n: StackNode) => scope(n.info) && (!stale || stale.has(n.info.id));
    const result = await runPhases(op, listed.filter((n) => n.info.state === 'running'), { bootstrap: false, phases, only, mode, ...rolling, rolling: options.rolling === true });
    // A node that is not running is not configured: it is reported, not silently left out.
    const down = phases.length ? listed.filter((n) => n.info.state !== 'running' && only(n)) : [];
    if (!down.length) return result;
    const failed: NodeResult[] = down.map((n) => ({
      name: n.info.name, id: n.info.id, group: n.info.group, address: n.info.address, ok: false, created: false, actions: [],
      error: { code: 'NOT_RUNNING', message: `node ${n.info.name}: not running (${n.info.state}); no phase ran on it`, node: n.info.name, group: n.info.group },
    }));
    const nodes = [...result.nodes, ...failed].sort((a, b) => a.group.localeCompare(b.group) || a.name.localeCompare(b.name));
    return { ...result, ok: false, nodes };
  }, mode === 'apply' ? 'lift' : undefined);
}

/** Ids of the nodes whose recorded digest of any of `phases` is not the stack file's. */
async function staleNodes(op: Operation, running: StackNode[], phases: readonly string[]): Promise<Set<string>> {
  await evaluateSettings(op, running, false);
  const status = await codeStatus(op, running);
  return new Set(running.filter((n) => behindFor(status.get(n.info.id), n.info.tags, phases)).map((n) => n.info.id));
}

interface RunPlan {
  bootstrap: boolean;
  phases: string[];
  created?: Set<string>;
  /** Limit work to these nodes; the others still count for nodesWithRole. */
  only?: ((node: StackNode) => boolean) | undefined;
  mode?: ScriptMode;
  /** Batch sizes per group (serial); each batch runs every phase before the next starts. */
  serial?: Amount[] | undefined;
  /** How many failed nodes stop the run before its next batch. */
  maxFail?: Amount | undefined;
  /** Take each batch out of its readers before its phases, health-check it, put it back (rolling.ts). */
  rolling?: boolean | undefined;
}

/**
 * The phases an operation runs: the ones asked for, each defined by some group (checked
 * before anything is created), or by default `configure` when some group defines it.
 */
export function phasesToRun(stack: StackConfig, asked: readonly string[] | undefined): string[] {
  if (asked === undefined) return stack.groups.some((g) => g.phases['configure']) ? ['configure'] : [];
  for (const phase of asked) {
    if (phase === 'bootstrap') throw new SpecError(`phase ${phase}`, 'bootstrap runs only from converge, once per node');
    if (!stack.groups.some((g) => g.phases[phase])) {
      throw new SpecError(`phase ${phase}`, `no group defines this phase; defined: ${[...new Set(stack.groups.flatMap((g) => Object.keys(g.phases)))].join(', ') || '(none)'}`);
    }
  }
  return [...asked];
}

/**
 * Facts for the nodes that lack them, every node's settings, then bootstrap (when asked)
 * and each phase across nodes, with a barrier between phases. A no-op run is one round
 * trip per node per phase: facts come back with each phase's script.
 */
export async function runPhases(op: Operation, nodes: StackNode[], how: RunPlan): Promise<OperationResult> {
  // Creates that were in flight when the signal fired have finished; start no phase after it.
  op.throwIfCancelled();
  const record = how.mode !== 'check';
  const working = nodes.filter((n) => !how.only || how.only(n));
  const results = new Map<string, NodeResult>(
    working.map((n) => [n.info.id, { name: n.info.name, id: n.info.id, group: n.info.group, address: n.info.address, ok: true, created: how.created?.has(n.info.id) ?? false, actions: [] }]),
  );
  const fail = (id: string, error: Failure | undefined) => Object.assign(results.get(id)!, { ok: false, error });
  const alive = () => working.filter((n) => results.get(n.info.id)!.ok);
  const fresh = (n: StackNode) => how.bootstrap && n.info.tags[TAG.bootstrapped] !== 'true';

  // A node that will run something and has no facts recorded is asked for them, once.
  const bootstraps = (n: StackNode) => fresh(n) && (n.group.nodeSpec.userData !== undefined || Boolean(n.group.phases['bootstrap']?.length));
  const firstPhase = (n: StackNode) => (bootstraps(n) ? 'bootstrap' : how.phases.find((p) => n.group.phases[p]?.length));
  const unknown = working.filter((n) => !n.ref.facts && firstPhase(n) !== undefined);
  for (const [id, error] of await gatherFacts(op, unknown, (n) => firstPhase(n)!, record)) fail(id, error);
  await evaluateSettings(op, nodes, record);

  const runOne = async (phase: string, on: StackNode[], planFor: (n: StackNode) => PlanItem, oneNode?: ReadonlySet<string>) => {
    op.throwIfCancelled();
    const phaseResults = await runPhase(op, { phase, nodes: on, all: nodes.map((n) => n.ref), planFor, ...(how.mode ? { mode: how.mode } : {}), ...(oneNode ? { oneNode } : {}) });
    const facts: Array<readonly [StackNode, NodeFacts]> = [];
    for (const n of on) {
      const r = phaseResults.get(n.info.id);
      if (!r) continue;
      results.get(n.info.id)!.actions.push(...r.actions);
      if (!r.ok) fail(n.info.id, r.error);
      if (r.facts) facts.push([n, r.facts]);
    }
    await updateFacts(op, facts, record);
    return phaseResults;
  };

  if (how.bootstrap) {
    const todo = alive().filter(fresh);
    if (todo.length) {
      const phaseResults = await runOne('bootstrap', todo, bootstrapPlan);
      await Promise.all(todo.filter((n) => phaseResults.get(n.info.id)?.ok).map((n) => op.tagNode(n.info, { [TAG.bootstrapped]: 'true' })));
    }
  }
  const ok = (n: StackNode) => results.get(n.info.id)!.ok;
  // Batches (and each group's one node) in name order, whatever order the nodes were made in.
  const order = [...alive()].sort((a, b) => compareText(a.info.name, b.info.name));
  const runAccess = { nodes, ok: (n: StackNode) => results.get(n.info.id)?.ok ?? true, runOne: (phase: string, on: StackNode[]) => runOne(phase, on, (n) => phasePlan(n.group, phase)) };
  const hooks = how.rolling ? rollingHooks(op, runAccess) : undefined;
  const first = how.rolling ? await readersInScope(op, order, nodes.map((n) => n.ref)) : [];
  const rest = order.filter((n) => !first.includes(n));
  const rounds = [...(first.length ? [first] : []), ...batches(rest, (n) => n.info.group, how.serial ?? (how.rolling ? [1] : undefined))];
  const oneNode = new OneNodes();
  let untouched: StackNode[] = [];
  const errors: Failure[] = [];
  for (const [i, batch] of rounds.entries()) {
    if (i > 0) {
      const failed = working.filter((n) => !ok(n)).length;
      const previous = rounds[i - 1]!;
      if (tooManyFailed(how.maxFail, failed, working.length, previous.filter((n) => !ok(n)).length, previous.length)) {
        untouched = rounds.slice(i).flat();
        errors.push(stopped(how.maxFail, failed, working.length, i, rounds.length, untouched));
        break;
      }
    }
    if (rounds.length > 1) op.emit({ type: 'batch-start', batch: i + 1, batches: rounds.length, nodes: batch.map((n) => n.info.name) });
    const blocked = await hooks?.before(batch);
    if (blocked) {
      untouched = rounds.slice(i).flat();
      errors.push({ ...blocked, message: `${blocked.message}; untouched: ${untouched.map((n) => n.info.name).join(', ')}` });
      break;
    }
    for (const phase of how.phases) {
      const on = batch.filter(ok);
      await runOne(phase, on, (n) => phasePlan(n.group, phase), oneNode.pick(phase, on));
    }
    const broken = await hooks?.after(batch);
    if (broken) {
      untouched = rounds.slice(i + 1).flat();
      errors.push({ ...broken, message: `${broken.message}${untouched.length ? `; untouched: ${untouched.map((n) => n.info.name).join(', ')}` : ''}` });
      break;
    }
  }
  // A phase reports a cancelled node as failed; the operation as a whole ends cancelled.
  op.throwIfCancelled();
  const left = new Set(untouched.map((n) => n.info.id));
  if (record) {
    const done = working.filter((n) => ok(n) && !left.has(n.info.id)).map((node) => ({ node, changed: results.get(node.info.id)!.actions.some((a) => a.changed) }));
    await recordApplied(op, nodes, done, how.phases);
  }
  const list = [...results.values()].filter((n) => !left.has(n.id));
  return {
    stack: op.stack.stack, ok: errors.length === 0 && list.every((n) => n.ok), nodes: list, removed: [], errors, changed: countChanged(list),
    ...(untouched.length ? { untouched: untouched.map((n) => ({ name: n.info.name, id: n.info.id, group: n.info.group, address: n.info.address })) } : {}),
  };
}

/** Which node of each group runs onOneNode work, per phase: the first one alive in the first batch that has the group. */
class OneNodes {
  private readonly chosen = new Map<string, Set<string>>();
  private readonly groups = new Map<string, Set<string>>();

  pick(phase: string, nodes: readonly StackNode[]): ReadonlySet<string> {
    const chosen = this.chosen.get(phase) ?? this.chosen.set(phase, new Set()).get(phase)!;
    const groups = this.groups.get(phase) ?? this.groups.set(phase, new Set()).get(phase)!;
    for (const n of nodes) {
      if (groups.has(n.info.group)) continue;
      groups.add(n.info.group);
      chosen.add(n.info.id);
    }
    return chosen;
  }
}

function stopped(maxFail: Amount | undefined, failed: number, total: number, done: number, of: number, untouched: readonly StackNode[]): Failure {
  const why = maxFail === undefined ? 'every node of the last batch failed' : `${failed} of ${total} nodes failed, more than --max-fail ${maxFail} allows`;
  const names = untouched.map((n) => n.info.name);
  return { code: 'MAX_FAIL', message: `stopped after batch ${done} of ${of}: ${why}; untouched: ${names.join(', ')}` };
}
