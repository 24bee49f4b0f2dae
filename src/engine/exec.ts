// exec: run one command on every running node of a group, in parallel, over SSH
// (Pallet's command-and-control). Not a phase: no actions, no bootstrap, nothing tagged.
import { CancelledError, ForkliftError, UsageError, nodeFailure, type Failure } from '../errors.ts';
import type { StackConfig } from '../config/define.ts';
import { validateStack } from '../config/stack.ts';
import { Cmd } from '../shell/sh.ts';
import { pickGroups } from '../spec/group.ts';
import { mapLimit } from './limit.ts';
import { withOperation, type OperationOptions } from './operation.ts';

export interface ExecOptions extends OperationOptions {
  /** Stop a node's command that runs longer than this, ms (default: no limit); the node then fails. */
  timeoutMs?: number;
}

export interface ExecNodeResult {
  name: string;
  id: string;
  group: string;
  address: string;
  /** The command's exit code; 255 when the node could not be reached (as ssh does). */
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
 * Run `command` with the node's shell on every running node of `group`.
 * A string is shell text as written; build it with the `sh` template to quote values.
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
  return withOperation(stack, options, async (op) => {
    const targets = (await op.listNodes()).filter((n) => n.group === group && n.state === 'running');
    op.throwIfCancelled();
    const started = Date.now();
    op.emit({ type: 'phase-start', phase: 'exec', nodes: targets.map((n) => n.name) });
    const nodes = await mapLimit(targets, op.concurrency, async (node): Promise<ExecNodeResult> => {
      const t0 = Date.now();
      const base = { name: node.name, id: node.id, group: node.group, address: node.address };
      let result: ExecNodeResult;
      try {
        const conn = await op.sessions.get(node);
        const out = await conn.run(cmd.text, { ...(op.signal ? { signal: op.signal } : {}), ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) });
        result = { ...base, exitCode: out.exitCode, stdout: out.stdout.toString('utf8'), stderr: out.stderr.toString('utf8'), ok: out.exitCode === 0 };
        if (!result.ok) result.error = { code: 'EXIT', message: `node ${node.name}: exit code ${out.exitCode}`, node: node.name, group: node.group, exitCode: out.exitCode };
      } catch (error) {
        if (!(error instanceof ForkliftError) || error instanceof CancelledError) throw error;
        result = { ...base, exitCode: 255, stdout: '', stderr: '', ok: false, error: nodeFailure(node.name, error, { group: node.group }) };
      }
      op.emit({ type: 'node-phase-done', phase: 'exec', node: node.name, ok: result.ok, changed: 0, ms: Date.now() - t0, ...(result.error ? { error: result.error } : {}) });
      return result;
    });
    op.emit({ type: 'phase-end', phase: 'exec', ms: Date.now() - started });
    op.throwIfCancelled();
    return { stack: op.stack.stack, group, command: cmd.shown, ok: nodes.every((n) => n.ok), nodes };
  });
}
