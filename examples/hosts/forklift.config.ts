// Machines that already exist (Pallet's node-list): the hosts provider runs plans on a fixed
// list of SSH hosts. It cannot create or remove machines, so `converge` only accepts counts
// up to the hosts listed, and `destroy` refuses; `lift` and `exec` are the everyday verbs.
// Tags (bootstrapped, …) live on each host in /var/lib/forklift/tags/<stack>.json.
// Host keys are checked against ~/.ssh/known_hosts; a host met for the first time is
// recorded in ~/.forklift/known_hosts (`knownHosts` to choose another file), or give its
// key in the entry (`hostKey: 'ssh-ed25519 AAAA...'`).
//
//   npx forklift converge -f examples/hosts/forklift.config.ts web=2 db=1   # bootstrap once, configure
//   npx forklift lift -f examples/hosts/forklift.config.ts web               # configure the web hosts again
//   npx forklift exec -f examples/hosts/forklift.config.ts web -- uptime
//
// The same from an Ansible-style inventory: examples/hosts-inventory.
// Replace the documentation addresses (192.0.2.x, 198.51.100.x) with your machines'.
import { defineConfig, groupSpec, nginx, packages, plan, serverSpec, user } from 'forklift';

const base = serverSpec({
  phases: {
    bootstrap: plan(packages('sudo', 'curl')),
    configure: plan(user('deploy', { shell: '/bin/bash', groups: ['sudo'] })),
  },
});

export default defineConfig({
  stack: 'office',
  provider: {
    name: 'hosts',
    hosts: [
      // Default user root (plans install packages and write /etc), port 22, keys from ssh-agent
      // and ~/.ssh/id_ed25519; `name` defaults to the host. Another user becomes root with sudo -n.
      { host: '192.0.2.10', group: 'web', name: 'web-1' },
      { host: '192.0.2.11', group: 'web', name: 'web-2' },
      { host: '192.0.2.20', group: 'db', port: 2222, user: 'deploy', privateKeyPath: '/etc/forklift/ops_ed25519', jump: 'ops@198.51.100.7' },
    ],
  },
  groups: [
    groupSpec('web', { extends: [base, nginx.server('site', { index: (ctx) => `<h1>${ctx.node.name}</h1>\n` })] }),
    groupSpec('db', { extends: base, phases: { configure: plan(packages('postgresql')) } }),
  ],
});
