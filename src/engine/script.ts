// From a node's plan to the one script it runs for a phase: plan items → actions →
// aggregated → rendered blocks. Pure apart from awaiting plan functions.
import type { Action, Target } from '../actions/types.ts';
import { SpecError } from '../errors.ts';
import type { Preview } from '../shell/preview.ts';
import { renderScript, scriptSources, type Block, type RenderOptions, type ScriptMode } from '../shell/script.ts';
import type { Cmd } from '../shell/sh.ts';
import type { ByteSource } from '../shell/stream.ts';
import { planActions, type PlanContext, type PlanItem } from '../spec/plan.ts';

export interface PhaseScript {
  script: Cmd;
  /** The actions in script order; record i belongs to actions[i]. */
  actions: Action[];
  /** Content the script may ask for (streamed files), by SHA-256. */
  sources: Map<string, ByteSource>;
  /** Each action's steps' previews (file-like steps), for reading what the node sends back. */
  previews: Array<Array<Preview | undefined>>;
  /** The script's blocks, to render the same plan in another mode (a dry run shows the apply script). */
  blocks: Block[];
  /**
   * Every secret value the plan holds, also those only its applies hold (a dry run's script
   * has no applies): what the node prints back, and diffs, are masked with them.
   */
  secrets: string[];
}

/**
 * Fold actions whose kind aggregates (packages) into the first of their kind, within runs
 * not separated by a barrier (an apt repository, a script): packages placed after
 * aptRepository install from it, while a plan of several packages and other actions
 * still makes one install.
 */
export function aggregate(actions: readonly Action[]): Action[] {
  return fold(actions).actions;
}

interface Folded {
  actions: Action[];
  /** Where each planned action ended up: its index in `actions`. */
  at: Map<Action, number>;
}

function fold(actions: readonly Action[]): Folded {
  const out: Action[] = [];
  const at = new Map<Action, number>();
  const runs: Array<{ index: number; members: Action[] }> = [];
  let open = new Map<string, { index: number; members: Action[] }>();
  for (const a of actions) {
    if (a.def.barrier) open = new Map();
    const run = a.def.aggregate ? open.get(a.kind) : undefined;
    if (run) {
      run.members.push(a);
      if (!at.has(a)) at.set(a, run.index);
      continue;
    }
    if (a.def.aggregate) {
      const started = { index: out.length, members: [a] };
      open.set(a.kind, started);
      runs.push(started);
    }
    if (!at.has(a)) at.set(a, out.length);
    out.push(a);
  }
  for (const { index, members } of runs) {
    if (members.length === 1) continue;
    const first = out[index]!;
    out[index] = { ...first, ...first.def.aggregate!(members.map((m) => m.args)) };
  }
  return { actions: out, at };
}

export async function buildPhaseScript(item: PlanItem, ctx: PlanContext, target: Target, mode: ScriptMode = 'apply', options: RenderOptions = {}): Promise<PhaseScript> {
  const { actions, at } = fold(await planActions(item, ctx));
  const blocks: Block[] = actions.map((a, i) => {
    let steps;
    try {
      steps = a.def.render(a.args, target);
    } catch (error) {
      throw new SpecError(`node ${ctx.node.name}, phase ${ctx.phase}, action "${a.label}"`, (error as Error).message);
    }
    const onChangeOf = (a.onChangeOf ?? []).map((dep) => {
      const index = at.get(dep) ?? -1;
      if (index < 0 || index >= i) {
        throw new SpecError(`node ${ctx.node.name}, phase ${ctx.phase}, action "${a.label}"`, `onChangeOf names "${dep.label}", which is not an earlier action of this phase`);
      }
      return index;
    });
    return { label: a.label, steps, onChangeOf };
  });
  const previews = blocks.map((b) => b.steps.map((step) => step.preview));
  const secrets = [...new Set(blocks.flatMap((b) => b.steps.flatMap((step) => [...(step.check?.secrets ?? []), ...step.apply.secrets])))];
  const facts = target.facts;
  const known = facts?.architecture ? { known: { architecture: facts.architecture, packageArchitecture: facts.packageArchitecture } } : {};
  return { script: renderScript(blocks, mode, { ...options, ...known }), actions, sources: scriptSources(blocks), previews, blocks, secrets };
}
