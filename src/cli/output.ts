// How the CLI shows progress (stderr) and results (stdout, as a table or --json).
import type { ForkliftEvent } from '../engine/events.ts';
import type { NodeListing } from '../engine/nodes.ts';
import type { OperationResult, RemovedNode } from '../engine/results.ts';

const secs = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

export function printEvent(event: ForkliftEvent, write: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): void {
  switch (event.type) {
    case 'provider':
      return write(`· ${event.message}`);
    case 'node-created':
      return write(`+ ${event.name} (${event.group}) ${event.address} in ${secs(event.ms)}`);
    case 'node-create-failed':
      return write(`✗ ${event.error.message}`);
    case 'node-removed':
      return write(`- ${event.name} (${event.group || 'untagged'}) removed`);
    case 'phase-start':
      return write(`» ${event.phase} on ${event.nodes.length} node${event.nodes.length === 1 ? '' : 's'}`);
    case 'node-phase-done':
      if (event.ok) return write(`  ✓ ${event.node}: ${event.changed} changed in ${secs(event.ms)}`);
      // A node's failure always names the node (see nodeFailure).
      return write(`  ✗ ${event.error?.message ?? `node ${event.node}: failed`}`);
    default:
      return;
  }
}

export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd()).join('\n');
}

/** `dryRun`: the result of `check`, whose changes are the ones that would happen. */
export function formatResult(result: OperationResult, dryRun = false): string {
  const rows = [['NODE', 'GROUP', 'ADDRESS', 'STATUS', dryRun ? 'WOULD CHANGE' : 'CHANGED']];
  for (const n of result.nodes) {
    rows.push([n.name, n.group, n.address, n.ok ? (n.created ? 'created' : 'ok') : 'FAILED', String(n.actions.filter((a) => a.changed).length)]);
  }
  for (const r of result.removed) rows.push([r.name, r.group, r.address, 'removed', '-']);
  const failures = [...result.errors, ...result.nodes.flatMap((n) => (n.error ? [n.error] : []))].map((f) => f.message);
  const changed = dryRun ? `${result.changed} action${result.changed === 1 ? '' : 's'} would change` : `${result.changed} changed action${result.changed === 1 ? '' : 's'}`;
  const summary = `${result.nodes.length} node${result.nodes.length === 1 ? '' : 's'}, ${changed}` +
    (result.removed.length ? `, ${result.removed.length} removed` : '') + (failures.length ? `, ${failures.length} failed` : '');
  const wouldChange = dryRun
    ? result.nodes.flatMap((n) => {
        const names = n.actions.filter((a) => a.changed).map((a) => `${a.phase}: ${a.name}`);
        return names.length ? [`\n${n.name} would change:`, ...names.map((x) => `  ${x}`)] : [];
      })
    : [];
  return [table(rows), '', summary, ...wouldChange, ...failures.map((f) => `\n${f}`)].join('\n');
}

export function formatNodes(list: readonly NodeListing[]): string {
  if (list.length === 0) return 'no nodes';
  return table([['ID', 'NAME', 'GROUP', 'ADDRESS', 'STATE', 'BOOTSTRAPPED'], ...list.map((n) => [n.id, n.name, n.group, n.address, n.state, n.tags['forklift-bootstrapped'] ?? 'no'])]);
}

export function formatRemoved(list: readonly RemovedNode[]): string {
  return list.length ? list.map((r) => `removed ${r.name} (${r.group}) ${r.address}`).join('\n') : 'no nodes to remove';
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
