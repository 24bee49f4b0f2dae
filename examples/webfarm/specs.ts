// The talk's web farm, provider-free: haproxy in front of nginx nodes. Both
// examples/webfarm (local nodes) and examples/webfarm-cloudstack (a CloudStack cloud)
// use these groups; only the provider differs.
import { groupSpec, haproxy, nginx, nodeSpec, nodesWithRole, packages, plan, serverSpec } from 'forklift';

export const debianNode = nodeSpec({
  image: { osFamily: 'debian', osVersionMatches: '^12' },
  hardware: { minCores: 1, minRam: 512, minDisk: 10 },
  network: { inboundPorts: [22, 80, 443] },
});

export const baseServer = serverSpec({
  phases: { configure: plan(packages('curl', 'ca-certificates')) },
});

export const webServer = serverSpec({
  phases: {
    configure: plan(nginx.site('web', { index: (ctx) => `<h1>served by ${ctx.node.name}</h1>\n` })),
    // What lift --rolling waits for before it puts a node back into the lb.
    health: nginx.health(),
  },
});

export const lbServer = serverSpec({
  phases: {
    configure: plan(haproxy.addBackend('web', { servers: nodesWithRole('web'), port: 80 })),
  },
});

export const webfarmGroups = [
  groupSpec('web', { roles: ['web'], extends: [baseServer, webServer], nodeSpec: debianNode }),
  groupSpec('lb', { roles: ['lb'], extends: [baseServer, lbServer], nodeSpec: debianNode }),
];
