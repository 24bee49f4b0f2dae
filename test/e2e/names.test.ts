// Names that cannot collide: stack S with group "b-web" and stack "S-b" with group "web"
// used to share the security group forklift-S-b-web (each converge revoked the other's
// rules) and the local container fl-S-b-web-<suffix>. Now each pair has its own.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { containerName, createProvider } from '../../src/providers/local/index.ts';
import type { NodeInfo, OperationResult } from '../../src/index.ts';
import { testEndpoint } from './endpoint.ts';
import { canConnect, forklift, stackDir } from './helpers.ts';
import { leftovers, serveHttp, stackName } from './nodes.ts';

const first = stackName('tnm');
const second = stackName('tnm', '-b');
// [stack, group, port]: the two pairs whose old names were equal.
const pairs = [[first, 'b-web', 8081], [second, 'web', 8082]] as const;
const ports = [8081, 8082];

/** What is open on a node among the two ports: exactly its own. */
async function openPorts(node: Pick<NodeInfo, 'address'>): Promise<number[]> {
  const open = [];
  for (const port of ports) if (await canConnect(node.address, port)) open.push(port);
  return open;
}

describe('local containers', () => {
  const local = createProvider({}, { log: (m) => console.error(m) });

  it('nodes of the two pairs, with the names that used to collide, are two containers with their own ports', async () => {
    const [a, b] = [await local.createNode({ stack: first, group: 'b-web', name: 'b-web-1', nodeSpec: { network: { inboundPorts: [22, 8081] } }, tags: {} }),
      await local.createNode({ stack: second, group: 'web', name: 'web-1', nodeSpec: { network: { inboundPorts: [22, 8082] } }, tags: {} })];
    assert.notEqual(a!.id, b!.id);
    assert.deepEqual((await local.listNodes(first)).map((n) => [n.name, n.group]), [['b-web-1', 'b-web']]);
    assert.deepEqual((await local.listNodes(second)).map((n) => [n.name, n.group]), [['web-1', 'web']]);
    for (const n of [a!, b!]) serveHttp(n, ports);
    assert.deepEqual(await openPorts(a!), [8081]);
    assert.deepEqual(await openPorts(b!), [8082]);
    for (const n of [a!, b!]) await local.destroyNode(n);
  });

  it('converging both stacks gives two distinct sets of containers, each with its own ports', async () => {
    const results: OperationResult[] = [];
    for (const [stack, group, port] of pairs) {
      const dir = stackDir(`import { defineConfig, groupSpec, nodeSpec } from 'forklift';
export default defineConfig({ stack: '${stack}', groups: [groupSpec('${group}', { nodeSpec: nodeSpec({ network: { inboundPorts: [22, ${port}] } }) })] });
`);
      const run = await forklift(['converge', '--json', '-q', `${group}=2`], dir);
      assert.equal(run.code, 0, run.stderr);
      results.push(JSON.parse(run.stdout) as OperationResult);
    }
    const [a, b] = results.map((r, i) => r.nodes.map((n) => containerName(pairs[i]![0], n.name)).sort());
    assert.deepEqual(leftovers(first).containers.sort(), a);
    assert.deepEqual(leftovers(second).containers.sort(), b);
    assert.equal(new Set([...a!, ...b!]).size, 4);
    for (const [i, r] of results.entries()) {
      for (const n of r.nodes) {
        serveHttp(n, ports);
        assert.deepEqual(await openPorts(n), [pairs[i]![2]], `${n.name} of ${pairs[i]![0]}`);
      }
    }
  });
});

describe('cloudstack security groups', () => {
  const ep = testEndpoint('tnmc');
  const sources = pairs.map(([, group, port]) => (stack: string) => `import { defineConfig, groupSpec, nodeSpec } from 'forklift';
export default defineConfig({ stack: '${stack}', provider: { name: 'cloudstack', keyDir: ${JSON.stringify(ep.keyDir)} }, groups: [groupSpec('${group}', { nodeSpec: nodeSpec({ network: { inboundPorts: [22, ${port}] } }) })] });
`);
  before(() => ep.open());

  it('converging both stacks gives two security groups; each stack keeps its own ports', async () => {
    const nodes: NodeInfo[][] = [];
    // Each converge twice, alternating: with one shared group, each would revoke the other's port.
    for (let round = 0; round < 2; round++) {
      for (const [i, [stack, group]] of pairs.entries()) {
        const run = await forklift(['converge', '--json', '-q', `${group}=1`], stackDir(sources[i]!(stack)), ep.env());
        assert.equal(run.code, 0, run.stderr);
        nodes[i] = (JSON.parse(run.stdout) as OperationResult).nodes as unknown as NodeInfo[];
      }
    }
    const groups = await ep.client.list<{ name: string; ingressrule: Array<{ startport: number }> }>('listSecurityGroups');
    const ours = groups.filter((g) => g.name.startsWith(`forklift-${first}`)).map((g) => [g.name, g.ingressrule.map((r) => r.startport).sort((x, y) => x - y)]);
    assert.deepEqual(ours.sort(), [[`forklift-${first}.b-web`, [22, 8081]], [`forklift-${second}.web`, [22, 8082]]].sort());
    for (const [i, [stack, , port]] of pairs.entries()) {
      const node = nodes[i]![0]!;
      serveHttp(node, ports, { key: join(ep.keyDir, stack) });
      assert.deepEqual(await openPorts(node), [port], `the VM of ${stack}`);
    }
  });
});
