// destroy: remove the stack's nodes (all, or those of some groups).
import type { StackConfig } from '../config/define.ts';
import { validateStack } from '../config/stack.ts';
import { pickGroups } from '../spec/group.ts';
import { mapLimit } from './limit.ts';
import { withOperation, type OperationOptions } from './operation.ts';
import type { RemovedNode } from './results.ts';
import { UNTAGGED } from './scaling.ts';

export interface DestroyOptions extends OperationOptions {
  /** Only these groups' nodes (default: every node of the stack, whatever its group). */
  groups?: string[];
}

export async function destroy(config: StackConfig, options: DestroyOptions = {}): Promise<RemovedNode[]> {
  const stack = validateStack(config);
  if (options.groups?.length) pickGroups(stack.groups, options.groups);
  return withOperation(stack, options, async (op) => {
    const only = options.groups?.length ? new Set(options.groups) : undefined;
    const doomed = (await op.listed()).filter((n) => !only || only.has(n.group));
    // Destroying the whole stack also removes what an interrupted create left untagged.
    const untagged = only ? [] : await op.listUntagged();
    op.emit({ type: 'scaling', create: 0, remove: untagged.length + doomed.length });
    const reason = only ? `destroy ${[...only].join(' ')}` : 'destroy';
    return mapLimit([...untagged, ...doomed], op.concurrency, async (node) => {
      op.throwIfCancelled();
      op.emit({ type: 'node-removing', group: node.group, name: node.name, reason: node.group ? reason : UNTAGGED });
      await op.provider.destroyNode(node, op.signal);
      op.emit({ type: 'node-removed', group: node.group, name: node.name });
      return { name: node.name, id: node.id, group: node.group, address: node.address, reason: node.group ? reason : UNTAGGED };
    });
  }, 'destroy');
}
