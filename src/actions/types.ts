// Actions are data: a kind, a label and arguments. Rendering is a pure function
// (args, target) → Step[]; each Step has a read-only `check` (exit 0 = already in the
// desired state) and an `apply` that gets it there. No I/O, clock or randomness here.
import type { NodeFacts } from '../shell/facts.ts';
import type { Cmd } from '../shell/sh.ts';
import type { Preview } from '../shell/preview.ts';
import type { ByteSource } from '../shell/stream.ts';

/** What an action may know about the node it renders for. */
export interface Target {
  node: { name: string; group: string; address: string };
  /** The OS as read on the node (its facts), or as the provider reports it. */
  os: { family: string; version: string };
  /** The node's facts, read on the node (absent only outside the engine, in tests). */
  facts?: NodeFacts;
}

export interface Step {
  /** Read-only test. Exit 0 means nothing to do. Without a check the step always applies. */
  check?: Cmd;
  apply: Cmd;
  /**
   * Content the apply reads with `fl_need <sha256> <bytes> >file` (shell/script.ts): sent
   * over the same run only when the apply runs, never part of the script.
   */
  sources?: readonly ByteSource[];
  /** A file-like step: how the node shows what it would change (a diff), run only when its check fails. */
  preview?: Preview;
}

export interface ActionDef<A> {
  kind: string;
  render(args: A, target: Target): Step[];
  /**
   * Fold the actions of this kind in a phase into one, placed where the first stood
   * (Pallet aggregates package actions into one install): its arguments and its label.
   * Only actions with no barrier between them fold together.
   */
  aggregate?(all: readonly A[]): { args: A; label: string };
  /**
   * Aggregated actions never fold across this one: it changes what they act on (an apt
   * repository, a script that may add one). Those after it fold into a later action.
   */
  barrier?: boolean;
}

export interface Action<A = unknown> {
  readonly kind: string;
  readonly label: string;
  readonly args: A;
  readonly def: ActionDef<A>;
  /** Run only when one of these actions (earlier in the same phase) changed something: a handler. */
  readonly onChangeOf?: readonly Action[];
}

export function defineAction<A>(def: ActionDef<A>): ActionDef<A> {
  return def;
}

export function action<A>(def: ActionDef<A>, label: string, args: A, onChangeOf?: readonly Action[]): Action<A> {
  return onChangeOf?.length ? { kind: def.kind, label, args, def, onChangeOf } : { kind: def.kind, label, args, def };
}

/** What one action did on one node. */
export interface ActionResult {
  name: string;
  /** would-change: a check run (dry run) found the action would change something. */
  status: 'changed' | 'would-change' | 'ok' | 'failed' | 'skipped';
  changed: boolean;
  exitCode: number;
  stdout: string;
  stderr: string;
}
