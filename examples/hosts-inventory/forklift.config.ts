// The hosts provider from an Ansible-style inventory (inventory.yml beside this file):
// groups and their children, host and group variables (ctx.node.vars), a bastion, a
// normal login user who becomes root with `sudo -n`. Keys: ssh-agent's (SSH_AUTH_SOCK)
// and ~/.ssh/id_ed25519, unless a host names its key file.
//
//   npx forklift nodes -f examples/hosts-inventory/forklift.config.ts          # contacts each host once
//   npx forklift converge -f examples/hosts-inventory/forklift.config.ts web=3 db=1
//   npx forklift lift -f examples/hosts-inventory/forklift.config.ts --limit web3
//   npx forklift exec -f examples/hosts-inventory/forklift.config.ts web --limit web1,web2 -- uptime
import { defineConfig, file, groupSpec, nginx, packages, plan, serverSpec } from 'forklift';

const base = serverSpec({
  phases: {
    configure: plan((ctx) => file('/etc/systemd/timesyncd.conf.d/forklift.conf', { content: `[Time]\nNTP=${String(ctx.node.vars?.['ntp_server'] ?? 'pool.ntp.org')}\n` })),
  },
});

export default defineConfig({
  stack: 'office-inventory',
  // Relative to this file's folder; `new URL('./inventory.yml', import.meta.url)` works too.
  provider: { name: 'hosts', inventory: 'inventory.yml' },
  groups: [
    groupSpec('web', {
      extends: [base, nginx.server('site', { port: 80, index: (ctx) => `<h1>${ctx.node.name} (port ${String(ctx.node.vars?.['http_port'])})</h1>\n` })],
    }),
    groupSpec('db', { extends: base, phases: { configure: plan(packages('postgresql')) } }),
  ],
});
