// Results are data: what the CLI prints as a table or as --json, and what the API returns.
import type { ActionResult } from '../actions/types.ts';
import type { Failure } from '../errors.ts';
import type { FileChange } from './diff.ts';

export interface NodeActionResult extends ActionResult {
  phase: string;
  /** What its file-like steps change (dry runs; lift with diff): a unified diff per file, secrets as ***. */
  changes?: FileChange[];
}

export interface NodeResult {
  name: string;
  id: string;
  group: string;
  address: string;
  ok: boolean;
  /** Created by this operation. */
  created: boolean;
  /** Every action that ran, in order, phase by phase. */
  actions: NodeActionResult[];
  /** Why the node failed: its text, and where (node, phase, action, exit code, stderr tail) as data. */
  error?: Failure;
}

export interface RemovedNode {
  name: string;
  id: string;
  group: string;
  address: string;
  reason: string;
}

export interface OperationResult {
  stack: string;
  ok: boolean;
  nodes: NodeResult[];
  removed: RemovedNode[];
  /** Failures not tied to one configured node (a node that could not be created). */
  errors: Failure[];
  /** Changed actions, over all nodes. */
  changed: number;
  /** Nodes a rolling run stopped before reaching (--max-fail): nothing ran on them. */
  untouched?: UntouchedNode[];
}

export interface UntouchedNode {
  name: string;
  id: string;
  group: string;
  address: string;
}

export function countChanged(nodes: readonly NodeResult[]): number {
  return nodes.reduce((n, node) => n + node.actions.filter((a) => a.changed).length, 0);
}
