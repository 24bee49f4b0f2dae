// The fleet bench's plan, the same three ways: forklift's stack file and inventory (hosts
// provider), the floor's one check script per host, and an Ansible project. Four actions
// per host, all under the host's own directory <host>/root/<stack>: a directory, a file, a
// line in a file, a symlink.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Fleet, FleetHost } from './fleet-hosts.ts';

export const content = (name: string) => `node=${name}\nworkers=4\n`;
const sha = (text: string) => createHash('sha256').update(text).digest('hex');
export const workDir = (h: FleetHost, stack: string) => join(h.root, stack);

const STACK_FILE = (stack: string) => `import { defineConfig, directory, file, groupSpec, line, plan, symlink } from 'forklift';
const root = (ctx: { node: { vars?: Record<string, unknown> } }) => String(ctx.node.vars?.['root']);
export default defineConfig({
  stack: '${stack}',
  provider: { name: 'hosts', inventory: 'inventory.yml', knownHosts: 'known_hosts' },
  groups: [groupSpec('host', { phases: { configure: plan(
    (ctx) => directory(root(ctx) + '/app', { mode: '0755' }),
    (ctx) => file(root(ctx) + '/app/config.json', { content: 'node=' + ctx.node.name + '\\nworkers=4\\n', mode: '0644' }),
    (ctx) => line(root(ctx) + '/app/settings.conf', { line: 'workers=4', create: true }),
    (ctx) => symlink(root(ctx) + '/current', root(ctx) + '/app'),
  ) } })],
});
`;

/** A stack folder for forklift: forklift.config.ts and inventory.yml (host keys pinned from it). */
export function forkliftStack(dir: string, stack: string, fleet: Fleet, hosts: FleetHost[]): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'forklift.config.ts'), STACK_FILE(stack));
  const entries = Object.fromEntries(
    hosts.map((h) => [
      h.name,
      {
        forklift_host: h.address,
        forklift_user: 'root',
        forklift_private_key_file: fleet.key,
        forklift_host_key: h.hostKey,
        forklift_state_dir: h.stateDir,
        root: workDir(h, stack),
      },
    ]),
  );
  // JSON is YAML.
  writeFileSync(join(dir, 'inventory.yml'), `${JSON.stringify({ all: { children: { host: { hosts: entries } } } }, null, 1)}\n`);
}

/** The read-only checks of forklift's no-op, as one plain script (the floor). */
export const floorCheck = (h: FleetHost, stack: string) => {
  const d = workDir(h, stack);
  return `set -e
d='${d}'
test -d "$d/app" && test "$(stat -c %a "$d/app")" = 755
printf '%s  %s\\n' ${sha(content(h.name))} "$d/app/config.json" | sha256sum -c --quiet
test "$(stat -c %a "$d/app/config.json")" = 644
grep -qxF 'workers=4' "$d/app/settings.conf"
test "$(readlink "$d/current")" = "$d/app"
`;
};

export const ansibleConfig = (forks: number) => `[defaults]
forks = ${forks}
host_key_checking = False
gathering = explicit
retry_files_enabled = False
interpreter_python = /usr/bin/python3
nocolor = True

[ssh_connection]
pipelining = True
ssh_args = -o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no
`;

const PLAYBOOK = `- name: fleet
  hosts: all
  gather_facts: false
  tasks:
    - ansible.builtin.file: { path: "{{ root }}/app", state: directory, mode: "0755" }
    - ansible.builtin.copy: { content: "node={{ inventory_hostname }}\\nworkers=4\\n", dest: "{{ root }}/app/config.json", mode: "0644" }
    - ansible.builtin.lineinfile: { path: "{{ root }}/app/settings.conf", line: "workers=4", create: true }
    - ansible.builtin.file: { src: "{{ root }}/app", dest: "{{ root }}/current", state: link }
`;

/** An Ansible project folder: ansible.cfg, inventory.yml, site.yml. */
export function ansibleProject(dir: string, stack: string, fleet: Fleet, hosts: FleetHost[], forks: number): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'ansible.cfg'), ansibleConfig(forks));
  writeFileSync(join(dir, 'site.yml'), PLAYBOOK);
  const entries = Object.fromEntries(hosts.map((h) => [h.name, { ansible_host: h.address, root: workDir(h, stack) }]));
  writeFileSync(join(dir, 'inventory.yml'), `${JSON.stringify({ all: { vars: { ansible_user: 'root', ansible_ssh_private_key_file: fleet.key }, hosts: entries } }, null, 1)}\n`);
}
