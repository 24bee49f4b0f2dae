// The web farm's shape on the fake cloud: webs serving a page naming their node, an lb
// whose haproxy backend reads nodesWithRole('web'). Shared by the engine and plan unit tests.
import { defineConfig, file, groupSpec, haproxy, nodesWithRole, plan, type StackConfig } from '../../src/index.ts';
import type { FakeCloud } from './cloud.ts';

export function farm(cloud: FakeCloud): StackConfig {
  return defineConfig({
    stack: 'farm',
    provider: cloud.provider,
    groups: [
      groupSpec('web', { roles: ['web'], phases: { configure: plan((ctx) => file('/var/www/index.html', { content: `served by ${ctx.node.name}\n` })) } }),
      groupSpec('lb', { phases: { configure: haproxy.addBackend('web', { servers: nodesWithRole('web'), port: 80 }) } }),
    ],
  });
}
