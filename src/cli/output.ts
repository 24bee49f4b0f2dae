// How the CLI shows results (stdout, as a table or --json); progress is progress/.
import type { NodeListing } from '../engine/nodes.ts';
import type { OperationResult, RemovedNode } from '../engine/results.ts';
import { formatNodeChanges } from './changes.ts';
import { paintFor, type Paint } from './progress/terminal.ts';

/** Columns padded to their widest cell; `paintCell` colours a cell after it is padded. */
export function table(rows: string[][], paintCell: (cell: string, row: number, column: number) => string = (c) => c): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r, i) => r.map((cell, c) => paintCell(c === r.length - 1 ? cell : cell.padEnd(widths[c]!), i, c)).join('  ').trimEnd()).join('\n');
}

const STATUS_COLUMN = 3;

/**
 * `dryRun`: the result of `check`, whose changes are the ones that would happen, shown per
 * node with their diffs; `changes`: the same for an apply (lift --diff). Colours when stdout is a terminal.
 */
export function formatResult(result: OperationResult, dryRun = false, p: Paint = paintFor(process.stdout), changes = dryRun): string {
  const rows = [['NODE', 'GROUP', 'ADDRESS', 'STATUS', dryRun ? 'WOULD CHANGE' : 'CHANGED']];
  for (const n of result.nodes) {
    rows.push([n.name, n.group, n.address, n.ok ? (n.created ? 'created' : 'ok') : 'FAILED', String(n.actions.filter((a) => a.changed).length)]);
  }
  for (const r of result.removed) rows.push([r.name, r.group, r.address, 'removed', '-']);
  for (const u of result.untouched ?? []) rows.push([u.name, u.group, u.address, 'untouched', '-']);
  const failures = [...result.errors, ...result.nodes.flatMap((n) => (n.error ? [n.error] : []))].map((f) => f.message);
  // A rolling run's stop is said in its own line, not counted as a failed node.
  const failed = failures.length - result.errors.filter((e) => e.code === 'MAX_FAIL').length;
  const changed = dryRun ? `${result.changed} action${result.changed === 1 ? '' : 's'} would change` : `${result.changed} changed action${result.changed === 1 ? '' : 's'}`;
  const summary = `${result.nodes.length} node${result.nodes.length === 1 ? '' : 's'}, ${changed}` +
    (result.removed.length ? `, ${result.removed.length} removed` : '') + (result.untouched?.length ? `, ${result.untouched.length} untouched` : '') + (failed ? `, ${failed} failed` : '');
  const wouldChange = changes ? formatNodeChanges(result.nodes, dryRun, p) : [];
  const status = (cell: string) => (/^FAILED/.test(cell) ? p.red(cell) : /^created/.test(cell) ? p.green(cell) : /^(removed|untouched)/.test(cell) ? p.yellow(cell) : cell);
  const painted = table(rows, (cell, row, column) => (row === 0 ? p.bold(cell) : column === STATUS_COLUMN ? status(cell) : cell));
  const red = (text: string) => text.split('\n').map((l, i) => (i === 0 ? p.red(l) : l)).join('\n');
  return [painted, '', failures.length ? p.red(summary) : p.bold(summary), ...wouldChange, ...failures.map((f) => `\n${red(f)}`)].join('\n');
}

export function formatNodes(list: readonly NodeListing[]): string {
  if (list.length === 0) return 'no nodes';
  const code = (n: NodeListing) => (!n.code ? '-' : n.code.status === 'behind' ? `behind (${n.code.behind.join(', ')})` : n.code.status);
  const applied = (n: NodeListing) => (n.code?.appliedAt ? `${n.code.appliedAt.replace(/\.\d+Z$/, 'Z')} by ${n.code.appliedBy ?? '?'}` : '-');
  return table([['ID', 'NAME', 'GROUP', 'ADDRESS', 'STATE', 'BOOTSTRAPPED', 'CODE', 'APPLIED'], ...list.map((n) => [n.id, n.name, n.group, n.address, n.state, n.tags['forklift-bootstrapped'] ?? 'no', code(n), applied(n)])]);
}

export function formatRemoved(list: readonly RemovedNode[]): string {
  return list.length ? list.map((r) => `removed ${r.name} (${r.group}) ${r.address}`).join('\n') : 'no nodes to remove';
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
