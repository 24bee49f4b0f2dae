// How plan, check and lift --diff show what changes: per node, each changed action and,
// for file-like ones, the unified diff (red/green on a terminal), or sizes and digests.
import type { FileChange } from '../engine/diff.ts';
import type { StackPlan } from '../engine/plan.ts';
import type { NodeActionResult, NodeResult } from '../engine/results.ts';
import type { Paint } from './progress/terminal.ts';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** A change's diff (or note), indented under its action. */
export function formatChange(change: FileChange, p: Paint, indent = '    '): string[] {
  if (!change.diff) return [`${indent}${change.path}: ${change.note ?? 'changes'}`];
  return change.diff.split('\n').map((line) => {
    const painted = line.startsWith('+++') || line.startsWith('---') ? p.bold(line) : line.startsWith('@@') ? p.cyan(line) : line.startsWith('+') ? p.green(line) : line.startsWith('-') ? p.red(line) : line;
    return `${indent}${painted}`;
  });
}

/** The lines under a node: each changed action (`phase: label`) and its diffs. */
export function formatActions(actions: readonly NodeActionResult[], p: Paint): string[] {
  return actions.filter((a) => a.changed).flatMap((a) => [`  ${a.phase}: ${a.name}`, ...(a.changes ?? []).flatMap((c) => formatChange(c, p))]);
}

/** `forklift plan`'s text: creates, removes, then each staying node's changes; a summary line first. */
export function formatPlan(plan: StackPlan, p: Paint): string {
  const withChanges = plan.nodes.filter((n) => n.actions.some((a) => a.changed));
  const failures = [...plan.errors, ...plan.nodes.flatMap((n) => (n.error ? [n.error] : []))].map((f) => f.message);
  const summary = plan.changes
    ? `Plan for stack ${plan.stack}: ${plural(plan.create.length, 'node')} to create, ${plan.remove.length} to remove, ${plural(plan.changed, 'action')} to change on ${plural(withChanges.length, 'node')}.`
    : `No changes. Stack ${plan.stack} matches its code (${plural(plan.nodes.length, 'node')}).`;
  const out = [failures.length ? p.red(summary) : p.bold(summary)];
  if (plan.create.length || plan.remove.length) out.push('');
  for (const c of plan.create) out.push(p.green(`+ ${c.name} (${c.group}): create, then bootstrap${plan.phases.length ? ` and ${plan.phases.join(', ')}` : ''}`));
  for (const r of plan.remove) out.push(p.red(`- ${r.name || r.id} (${r.group || 'no group'}): remove (${r.reason})`));
  for (const n of withChanges) out.push('', p.yellow(`~ ${n.name} (${n.group}) ${n.address}:`), ...formatActions(n.actions, p));
  for (const f of failures) out.push('', p.red(f));
  return out.join('\n');
}

/** Nodes and their changed actions with diffs, for check and lift --diff. */
export function formatNodeChanges(nodes: readonly NodeResult[], dryRun: boolean, p: Paint): string[] {
  return nodes.flatMap((n) => {
    const lines = formatActions(n.actions, p);
    return lines.length ? [`\n${n.name} ${dryRun ? 'would change' : 'changed'}:`, ...lines] : [];
  });
}

/** --show-scripts: each node's script (secrets as ***), under a comment naming node and phase. */
export function formatScripts(scripts: ReadonlyArray<{ node: string; phase: string; script: string }>): string {
  return scripts.map((s) => `# ---- ${s.node}, phase ${s.phase} ----\n${s.script.endsWith('\n') ? s.script : `${s.script}\n`}`).join('\n');
}
