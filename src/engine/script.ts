// From a node's plan to the one script it runs for a phase: plan items → actions →
// aggregated → rendered blocks. Pure apart from awaiting plan functions.
import type { Action, Target } from '../actions/types.ts';
import { SpecError } from '../errors.ts';
import { renderScript, type Block, type ScriptMode } from '../shell/script.ts';
import type { Cmd } from '../shell/sh.ts';
import { planActions, type PlanContext, type PlanItem } from '../spec/plan.ts';

export interface PhaseScript {
  script: Cmd;
  /** The actions in script order; record i belongs to actions[i]. */
  actions: Action[];
}

/** Fold actions whose kind aggregates (packages) into the first of their kind. */
export function aggregate(actions: readonly Action[]): Action[] {
  const out: Action[] = [];
  const firstOfKind = new Map<string, number>();
  const collected = new Map<string, unknown[]>();
  for (const a of actions) {
    if (!a.def.aggregate) {
      out.push(a);
      continue;
    }
    const list = collected.get(a.kind);
    if (list) {
      list.push(a.args);
      continue;
    }
    collected.set(a.kind, [a.args]);
    firstOfKind.set(a.kind, out.length);
    out.push(a);
  }
  for (const [kind, index] of firstOfKind) {
    const first = out[index]!;
    const all = collected.get(kind)!;
    if (all.length === 1) continue;
    out[index] = { ...first, ...first.def.aggregate!(all) };
  }
  return out;
}

export async function buildPhaseScript(item: PlanItem, ctx: PlanContext, target: Target, mode: ScriptMode = 'apply'): Promise<PhaseScript> {
  const actions = aggregate(await planActions(item, ctx));
  const blocks: Block[] = actions.map((a, i) => {
    let steps;
    try {
      steps = a.def.render(a.args, target);
    } catch (error) {
      throw new SpecError(`node ${ctx.node.name}, phase ${ctx.phase}, action "${a.label}"`, (error as Error).message);
    }
    const onChangeOf = (a.onChangeOf ?? []).map((dep) => {
      const at = actions.findIndex((x) => x === dep || (dep.def.aggregate && x.kind === dep.kind));
      if (at < 0 || at >= i) {
        throw new SpecError(`node ${ctx.node.name}, phase ${ctx.phase}, action "${a.label}"`, `onChangeOf names "${dep.label}", which is not an earlier action of this phase`);
      }
      return at;
    });
    return { label: a.label, steps, onChangeOf };
  });
  return { script: renderScript(blocks, mode), actions };
}
