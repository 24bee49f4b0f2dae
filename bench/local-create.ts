// Time create → SSH answering on the local provider: 1 node, then N in parallel; destroys them after.
// Run: npx tsx bench/local-create.ts [N]
import { createProvider } from '../src/providers/local/index.ts';
import type { NodeInfo } from '../src/providers/types.ts';

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 5);
  const stack = `bench-${process.pid}`;
  const provider = createProvider({}, { log: (m) => console.error(m) });
  const made: NodeInfo[] = [];
  const create = (name: string) =>
    provider.createNode({ stack, group: 'b', name, nodeSpec: {}, tags: {} }).then((node) => (made.push(node), node));
  try {
    await provider.listNodes(stack); // warm: keys
    let t = Date.now();
    await create('one');
    console.log(`1 node: create → ssh ${Date.now() - t} ms`);
    t = Date.now();
    await Promise.all(Array.from({ length: n }, (_, i) => create(`p${i}`)));
    console.log(`${n} nodes in parallel: create → ssh ${Date.now() - t} ms`);
  } finally {
    const t = Date.now();
    await Promise.all(made.map((node) => provider.destroyNode(node)));
    console.log(`destroy ${made.length}: ${Date.now() - t} ms`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
