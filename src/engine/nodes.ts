// nodes: the stack's nodes, read back from the provider's tags alone.
import type { StackConfig } from '../config/define.ts';
import type { NodeInfo, Tags } from '../providers/types.ts';
import { withOperation, type OperationOptions } from './operation.ts';
import { SECRET_TAG } from './settings.ts';

/** A node as `forklift nodes` shows it: everything but how to log in; generated secrets as ***. */
export type NodeListing = Omit<NodeInfo, 'ssh'>;

export async function nodes(stack: StackConfig, options: OperationOptions = {}): Promise<NodeListing[]> {
  return withOperation(stack, options, async (op) => (await op.listNodes()).map(({ ssh: _ssh, tags, ...listing }) => ({ ...listing, tags: masked(tags) })));
}

const masked = (tags: Tags): Tags => Object.fromEntries(Object.entries(tags).map(([k, v]) => [k, k.startsWith(SECRET_TAG) ? '***' : v]));
