// The talk's web farm: haproxy in front of nginx nodes, on real local Debian nodes.
//   npx forklift converge -f examples/webfarm/forklift.config.ts lb=1 web=4
import { defineConfig, groupSpec, haproxy, nginx, nodeSpec, nodesWithRole, packages, plan, serverSpec } from 'forklift';

const debianNode = nodeSpec({
  image: { osFamily: 'debian', osVersionMatches: '^12' },
  hardware: { minCores: 1, minRam: 512, minDisk: 10 },
  network: { inboundPorts: [22, 80, 443] },
});

const baseServer = serverSpec({
  phases: { configure: plan(packages('curl', 'ca-certificates')) },
});

const webServer = serverSpec({
  phases: {
    configure: plan(nginx.site('web', { index: (ctx) => `<h1>served by ${ctx.node.name}</h1>\n` })),
  },
});

const lbServer = serverSpec({
  phases: {
    configure: plan(haproxy.addBackend('web', { servers: nodesWithRole('web'), port: 80 })),
  },
});

export default defineConfig({
  stack: 'webfarm',
  provider: { name: 'local' },
  groups: [
    groupSpec('web', { roles: ['web'], extends: [baseServer, webServer], nodeSpec: debianNode }),
    groupSpec('lb', { roles: ['lb'], extends: [baseServer, lbServer], nodeSpec: debianNode }),
  ],
});
