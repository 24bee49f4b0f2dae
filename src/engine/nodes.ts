// nodes: the stack's nodes, read back from the provider's tags alone; with whether each
// node's code is the stack file's (applied.ts), computed from the tags without contacting it.
import type { StackConfig } from '../config/define.ts';
import { ForkliftError } from '../errors.ts';
import type { NodeInfo, Tags } from '../providers/types.ts';
import { codeStatus, type CodeStatus } from './applied.ts';
import { withOperation, type Operation, type OperationOptions } from './operation.ts';
import { evaluateSettings, SECRET_TAG } from './settings.ts';

/** A node as `forklift nodes` shows it: everything but how to log in; generated secrets as ***. */
export type NodeListing = Omit<NodeInfo, 'ssh'> & {
  /** Whether the plans it last applied are the stack file's (running nodes of the groups the stack file defines). */
  code?: CodeStatus;
};

export async function nodes(stack: StackConfig, options: OperationOptions = {}): Promise<NodeListing[]> {
  return withOperation(stack, options, async (op) => {
    const listed = await op.listNodes();
    const code = await codes(op, listed);
    return listed.map(({ ssh: _ssh, tags, ...listing }) => ({ ...listing, tags: masked(tags), ...(code.has(listing.id) ? { code: code.get(listing.id)! } : {}) }));
  });
}

async function codes(op: Operation, listed: NodeInfo[]): Promise<Map<string, CodeStatus>> {
  const running = op.stackNodes(listed.filter((n) => n.state === 'running'));
  try {
    // Settings as the next run will evaluate them; nothing is written.
    await evaluateSettings(op, running, false);
    return await codeStatus(op, running);
  } catch (error) {
    // A plan that cannot be rendered now (a spec mistake) leaves the code unknown; the listing stands.
    if (!(error instanceof ForkliftError) || error.code === 'CANCELLED') throw error;
    return new Map(running.map((n) => [n.info.id, { status: 'unknown', behind: [], digests: {} }]));
  }
}

const masked = (tags: Tags): Tags => Object.fromEntries(Object.entries(tags).map(([k, v]) => [k, k.startsWith(SECRET_TAG) ? '***' : v]));
