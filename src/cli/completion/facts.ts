// What completion reads from the stack file: its groups and their phases, and for ssh
// and --limit the nodes (through the provider, bounded in time: a <TAB> never hangs).
import { resolve } from 'node:path';
import { loadConfig } from '../../config/load.ts';
import { nodes } from '../../engine/nodes.ts';
import type { StackFacts } from './candidates.ts';

const NODES_WITHIN_MS = 3000;

export function stackFacts(cwd = process.cwd()): StackFacts {
  const load = (file: string) => loadConfig(resolve(cwd, file));
  return {
    async groups(file) {
      return (await load(file)).groups.map((g) => ({ name: g.name, phases: Object.keys(g.phases) }));
    },
    async nodes(file) {
      const stack = await load(file);
      const list = await nodes(stack, { signal: AbortSignal.timeout(NODES_WITHIN_MS) });
      return list.map((n) => ({ name: n.name, group: n.group }));
    },
  };
}
