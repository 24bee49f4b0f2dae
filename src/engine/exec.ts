// exec: run one command on every node of a group, in parallel, over SSH
// (Pallet's command-and-control). Not a phase: no actions, no bootstrap, nothing tagged.
import { CancelledError, ForkliftError, UsageError, nodeFailure, type Failure } from '../errors.ts';
import type { StackConfig } from '../config/define.ts';
import { validateStack } from '../config/stack.ts';
import { Cmd, maskSecrets } from '../shell/sh.ts';
import { ConnectionLostError } from '../transport/errors.ts';
import { pickGroups } from '../spec/group.ts';
import { mapLimit } from './limit.ts';
import { withOperation, type OperationOptions } from './operation.ts';
import { inScope } from './scope.ts';

/** How long a command of exec may run on a node by default: 10 minutes (an upgrade fits; a hung command does not hang the run). */
export const DEFAULT_EXEC_TIMEOUT_MS = 10 * 60_000;

export interface ExecOptions extends OperationOptions {
  /** Stop a node's command that runs longer than this, ms (default 10 minutes); the node then fails. */
  timeoutMs?: number;
  /** Only these nodes of the group (names; `--limit a,b`); a name the stack does not have is a UsageError listing its nodes. */
  limit?: string[];
}

export interface ExecNodeResult {
  name: string;
  id: string;
  group: string;
  address: string;
  /** The command's exit code; 255 when the node could not be reached or is not running (as ssh does). */
  exitCode: number;
  stdout: string;
  stderr: string;
  ok: boolean;
  /** Why the command did not run, did not finish or failed (unreachable node, timeout, exit code). */
  error?: Failure;
}

export interface ExecResult {
  stack: string;
  group: string;
  /** The command as shown (secrets as ***). */
  command: string;
  /** Every node exited 0. */
  ok: boolean;
  nodes: ExecNodeResult[];
}

/**
 * Run `command` with the node's shell on every node of `group`; a node that is not running
 * fails without being contacted. A string is shell text as written; build it with the `sh`
 * template to quote values. The command reaches the node on stdin, never as an argument, so
 * a secret in it shows in no process list; its output shows each secret as ***.
 * Progress is reported as an "exec" phase (phase-start, node-phase-done, phase-end).
 */
export async function exec(config: StackConfig, group: string, command: string | Cmd, options: ExecOptions = {}): Promise<ExecResult> {
  const stack = validateStack(config);
  pickGroups(stack.groups, [group]);
  const cmd = typeof command === 'string' ? new Cmd(command) : command;
  if (!cmd.text.trim()) throw new UsageError('exec: the command is empty');
  if (options.timeoutMs !== undefined && !(Number.isInteger(options.timeoutMs) && options.timeoutMs > 0)) {
    throw new UsageError(`exec: timeoutMs must be a whole number of milliseconds above 0, got ${options.timeoutMs}`);
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS;
  const mask = (out: Buffer) => maskSecrets(out.toString('utf8'), cmd.secrets);
  return withOperation(stack, options, async (op) => {
    const all = await op.listed();
    const scope = inScope(op.stack.stack, all, { groups: [group], limit: options.limit });
    const targets = (await op.readState(all, scope)).filter(scope);
    op.throwIfCancelled();
    const started = Date.now();
    op.emit({ type: 'phase-start', phase: 'exec', nodes: targets.map((n) => n.name) });
    const nodes = await mapLimit(targets, op.concurrency, async (node): Promise<ExecNodeResult> => {
      const t0 = Date.now();
      op.emit({ type: 'node-phase-start', phase: 'exec', node: node.name });
      const base = { name: node.name, id: node.id, group: node.group, address: node.address };
      let result: ExecNodeResult;
      try {
        if (node.state !== 'running') throw new ForkliftError(`node ${node.name}: not running (${node.state}); the command did not run there`, 'NOT_RUNNING', { node: node.name });
        const out = await op.sessions.run(node, (conn) => conn.run(cmd.text, { ...(op.signal ? { signal: op.signal } : {}), timeoutMs }));
        result = { ...base, exitCode: out.exitCode, stdout: mask(out.stdout), stderr: mask(out.stderr), ok: out.exitCode === 0 };
        if (!result.ok) result.error = { code: 'EXIT', message: `node ${node.name}: exit code ${out.exitCode}`, node: node.name, group: node.group, exitCode: out.exitCode };
      } catch (error) {
        if (!(error instanceof ForkliftError) || error instanceof CancelledError) throw error;
        if (error.code === 'TIMEOUT' || error.code === 'CONNECTION_LOST') op.sessions.drop(node.id);
        const partial = error instanceof ConnectionLostError ? { stdout: mask(error.stdout), stderr: mask(error.stderr) } : { stdout: '', stderr: '' };
        result = { ...base, exitCode: 255, ...partial, ok: false, error: nodeFailure(node.name, error, { group: node.group }) };
      }
      op.emit({ type: 'node-phase-done', phase: 'exec', node: node.name, ok: result.ok, changed: 0, ms: Date.now() - t0, ...(result.error ? { error: result.error } : {}) });
      return result;
    });
    op.emit({ type: 'phase-end', phase: 'exec', ms: Date.now() - started });
    op.throwIfCancelled();
    return { stack: op.stack.stack, group, command: cmd.shown, ok: nodes.every((n) => n.ok), nodes };
  });
}
