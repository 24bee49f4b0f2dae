// nodes: the stack's nodes, read back from the provider's tags alone.
import type { StackConfig } from '../config/define.ts';
import type { NodeInfo } from '../providers/types.ts';
import { withOperation, type OperationOptions } from './operation.ts';

/** A node as `forklift nodes` shows it: everything but how to log in. */
export type NodeListing = Omit<NodeInfo, 'ssh'>;

export async function nodes(stack: StackConfig, options: OperationOptions = {}): Promise<NodeListing[]> {
  return withOperation(stack, options, async (op) => (await op.listNodes()).map(({ ssh: _ssh, ...listing }) => listing));
}
