// nodes: the stack's nodes, read back from the provider's tags alone.
import type { StackConfig } from '../config/define.ts';
import type { NodeState, Tags } from '../providers/types.ts';
import { withOperation, type OperationOptions } from './operation.ts';

export interface NodeListing {
  id: string;
  name: string;
  group: string;
  address: string;
  state: NodeState;
  tags: Tags;
}

export async function nodes(stack: StackConfig, options: OperationOptions = {}): Promise<NodeListing[]> {
  return withOperation(stack, options, async (op) =>
    (await op.listNodes()).map(({ id, name, group, address, state, tags }) => ({ id, name, group, address, state, tags })),
  );
}
