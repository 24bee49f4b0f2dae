// Progress as typed events. The CLI prints them; library callers subscribe with `onEvent`.
import type { Failure } from '../errors.ts';
import type { NodeActionResult } from './results.ts';

export type ForkliftEvent =
  | { type: 'provider'; message: string }
  /** What converge (or destroy) is about to do: nodes to create and to remove, before any is touched. */
  | { type: 'scaling'; create: number; remove: number }
  | { type: 'node-creating'; group: string; name: string }
  | { type: 'node-created'; group: string; name: string; address: string; ms: number }
  | { type: 'node-create-failed'; group: string; name: string; error: Failure }
  | { type: 'node-removing'; group: string; name: string; reason: string }
  | { type: 'node-removed'; group: string; name: string }
  /** A rolling run (serial) starts its batch `batch` of `batches`: these nodes run every phase next. */
  | { type: 'batch-start'; batch: number; batches: number; nodes: string[] }
  /** Rolling with the topology: `nodes` are taken out of the nodes that read them (their configure runs without them). */
  | { type: 'drain'; nodes: string[]; readers: string[] }
  /** …and put back. */
  | { type: 'restore'; nodes: string[]; readers: string[] }
  /** A node failed before its first phase (it could not be reached, or its facts read): it runs no phase; `phase` is the one it would have run first. */
  | { type: 'node-unreached'; phase: string; node: string; error: Failure }
  | { type: 'phase-start'; phase: string; nodes: string[] }
  /** A node's work in a phase starts (at most `concurrency` nodes run at once; the others wait). */
  | { type: 'node-phase-start'; phase: string; node: string }
  /**
   * A node's script for a phase as shown (secrets as ***), before it runs; only with `scripts: true`.
   * In a dry run (check, plan), `applyScript` is the script the node would get when applying.
   */
  | { type: 'node-script'; phase: string; node: string; script: string; applyScript?: string }
  /** `actions`: what each action of the node's phase reported, with its output (none for exec). */
  | { type: 'node-phase-done'; phase: string; node: string; ok: boolean; changed: number; ms: number; error?: Failure; actions?: NodeActionResult[] }
  | { type: 'phase-end'; phase: string; ms: number }
  /** The operation has closed its connections and released its lock, whether it succeeded or threw; nothing follows. */
  | { type: 'operation-end'; ms: number };

export type EventListener = (event: ForkliftEvent) => void;
