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
  /** Only nodes with these ids (what an operator confirmed): nodes that appeared since are left alone. */
  ids?: string[];
}

/** What destroy would remove (the groups' nodes; for the whole stack, also what interrupted creates left), changing nothing. */
export async function destroyTargets(config: StackConfig, options: DestroyOptions = {}): Promise<RemovedNode[]> {
  const stack = validateStack(config);
  if (options.groups?.length) pickGroups(stack.groups, options.groups);
  return withOperation(stack, options, async (op) => {
    const only = options.groups?.length ? new Set(options.groups) : undefined;
    const doomed = (await op.listed()).filter((n) => !only || only.has(n.group));
    const untagged = only ? [] : await op.listUntagged();
    const reason = only ? `destroy ${[...only].join(' ')}` : 'destroy';
    return [...untagged, ...doomed].map((node) => ({ name: node.name, id: node.id, group: node.group, address: node.address, reason: node.group ? reason : UNTAGGED }));
  });
}

export async function destroy(config: StackConfig, options: DestroyOptions = {}): Promise<RemovedNode[]> {
  const stack = validateStack(config);
  if (options.groups?.length) pickGroups(stack.groups, options.groups);
  return withOperation(stack, options, async (op) => {
    const only = options.groups?.length ? new Set(options.groups) : undefined;
    const confirmed = options.ids ? new Set(options.ids) : undefined;
    const doomed = (await op.listed()).filter((n) => (!only || only.has(n.group)) && (!confirmed || confirmed.has(n.id)));
    // Destroying the whole stack also removes what an interrupted create left untagged.
    const untagged = only ? [] : (await op.listUntagged()).filter((n) => !confirmed || confirmed.has(n.id));
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
