// Facts, read on the nodes at no extra round trip once known: a node's facts are kept in its
// `forklift-facts` tag. A node that has none (new, or made before facts) is asked once, with
// one command on the connection it then works on; after that every phase script's trailer
// prints them (shell/facts.ts), and the tag is written only when they changed, so the next
// phase and the next run plan with fresh facts.
import { ForkliftError, nodeFailure, type Failure } from '../errors.ts';
import { TAG } from '../providers/types.ts';
import { GATHER_FACTS, encodeFacts, factsBody, parseFacts, type NodeFacts } from '../shell/facts.ts';
import { mapLimit } from './limit.ts';
import type { Operation, StackNode } from './operation.ts';

/**
 * Ask each node without facts for them (one command each). Returns the nodes that could
 * not be asked, with why; `phase` names where that happened (the first phase they run).
 * Each such node is reported at once (node-unreached): it runs no phase.
 */
export async function gatherFacts(op: Operation, nodes: readonly StackNode[], phaseOf: (node: StackNode) => string, record: boolean): Promise<Map<string, Failure>> {
  const failed = new Map<string, Failure>();
  await mapLimit(nodes, op.concurrency, async (node) => {
    op.throwIfCancelled();
    const where = { group: node.info.group, phase: phaseOf(node) };
    const fail = (failure: Failure) => {
      failed.set(node.info.id, failure);
      op.emit({ type: 'node-unreached', phase: where.phase, node: node.info.name, error: failure });
    };
    try {
      const out = await op.sessions.run(node.info, (conn) => conn.run(GATHER_FACTS, { ...(op.signal ? { signal: op.signal } : {}), timeoutMs: 60_000, keepChannel: true }));
      const body = factsBody(out.stdout);
      if (out.exitCode !== 0 || body === undefined) {
        const why = out.stderr.toString().trim().split('\n').at(-1) || `exit code ${out.exitCode}`;
        return fail({ code: 'FACTS', message: `node ${node.info.name}: could not read its facts: ${why}`, node: node.info.name, ...where });
      }
      await setFacts(op, node, parseFacts(body), record);
    } catch (error) {
      if (!(error instanceof ForkliftError) || error.code === 'CANCELLED') throw error;
      fail(nodeFailure(node.info.name, error, where));
    }
  });
  return failed;
}

/** Facts a phase's trailer printed: the node's ref gets them; its tag is written when they changed. */
export async function updateFacts(op: Operation, updates: ReadonlyArray<readonly [StackNode, NodeFacts]>, record: boolean): Promise<void> {
  const changed = updates.filter(([node, facts]) => encodeFacts(facts) !== node.info.tags[TAG.facts]);
  await mapLimit(changed, op.concurrency, async ([node, facts]) => {
    try {
      await setFacts(op, node, facts, record);
    } catch (error) {
      // The facts are in memory for this operation; a tag that could not be written is asked for again next time.
      if (!(error instanceof ForkliftError) || error.code === 'CANCELLED') throw error;
    }
  });
}

async function setFacts(op: Operation, node: StackNode, facts: NodeFacts, record: boolean): Promise<void> {
  node.ref = { ...node.ref, facts };
  const encoded = encodeFacts(facts);
  if (!record || node.info.tags[TAG.facts] === encoded) return;
  await op.tagNode(node.info, { [TAG.facts]: encoded });
  node.info.tags[TAG.facts] = encoded;
}
