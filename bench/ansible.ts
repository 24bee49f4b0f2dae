// The Ansible side of the web farm bench (bench/webfarm.ts --with-ansible): the same lb=1
// web=4 farm, nodes made with the local provider exactly as the floor makes them, then one
// ansible-playbook run doing forklift's plan (examples/webfarm): apt (update cache,
// no recommends), the nginx site / index / symlink / no default site, `nginx -t` and
// reload as handlers, haproxy.cfg with forklift's own rendered text validated with
// `haproxy -c`, reload as a handler. Settings as the reference timings in
// /work/shared/local-nodes.md: pipelining on, forks 20, host key checking off; in
// addition facts are not gathered and the Python interpreter is given (no discovery),
// both in Ansible's favour. Ansible comes from Debian (`apt-get install -y ansible`);
// the bench checks for it and never installs it itself.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderSite } from '../src/crates/nginx.ts';
import { createFarm, destroyFarm, farmHaproxyConfig, KEY, log, record, run, untilServing, type Farm } from './lib.ts';

let version = 'Ansible';

/** Exit with an install hint when ansible-playbook is missing; remember its version for the table. */
export async function requireAnsible(): Promise<string> {
  const r = await run('ansible-playbook', ['--version']);
  if (r.code !== 0) {
    console.error('ansible-playbook not found. Install Ansible from Debian first:\n  apt-get install -y ansible\n(the bench does not install it itself)');
    process.exit(2);
  }
  const m = /core ([\d.]+)/.exec(r.stdout);
  version = `Ansible ${m?.[1] ?? '?'}`;
  return version;
}

const ANSIBLE_CFG = `[defaults]
forks = 20
host_key_checking = False
gathering = explicit
retry_files_enabled = False
interpreter_python = /usr/bin/python3
callbacks_enabled = ansible.posix.profile_tasks
nocolor = True

[ssh_connection]
pipelining = True
ssh_args = -o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no
`;

const WEB = `"'web' in group_names"`;
const LB = `"'lb' in group_names"`;
const PLAYBOOK = `# forklift's examples/webfarm plan, as one play over all hosts (hosts work in parallel).
- name: webfarm
  hosts: all
  gather_facts: false
  tasks:
    - name: packages
      ansible.builtin.apt:
        name: "{{ farm_packages }}"
        state: present
        update_cache: true
        cache_valid_time: 3600
        install_recommends: false
    - name: document root
      ansible.builtin.file: { path: /var/www/web, state: directory, mode: "0755" }
      when: ${WEB}
    - name: nginx site
      ansible.builtin.copy: { src: files/web.conf, dest: /etc/nginx/sites-available/web, mode: "0644" }
      when: ${WEB}
      notify: [nginx -t, reload nginx]
    - name: enable site
      ansible.builtin.file: { src: /etc/nginx/sites-available/web, dest: /etc/nginx/sites-enabled/web, state: link }
      when: ${WEB}
      notify: [nginx -t, reload nginx]
    - name: no default site
      ansible.builtin.file: { path: /etc/nginx/sites-enabled/default, state: absent }
      when: ${WEB}
      notify: [nginx -t, reload nginx]
    - name: index.html
      ansible.builtin.copy: { content: "<h1>served by {{ inventory_hostname }}</h1>\\n", dest: /var/www/web/index.html, mode: "0644" }
      when: ${WEB}
    - name: nginx enabled and started
      ansible.builtin.systemd: { name: nginx, enabled: true, state: started }
      when: ${WEB}
    - name: haproxy.cfg
      ansible.builtin.copy: { src: files/haproxy.cfg, dest: /etc/haproxy/haproxy.cfg, mode: "0644", validate: "haproxy -c -q -f %s" }
      when: ${LB}
      notify: reload haproxy
    - name: haproxy enabled and started
      ansible.builtin.systemd: { name: haproxy, enabled: true, state: started }
      when: ${LB}
  handlers:
    - name: nginx -t
      ansible.builtin.command: nginx -t -q
    - name: reload nginx
      ansible.builtin.systemd: { name: nginx, state: reloaded }
    - name: reload haproxy
      ansible.builtin.systemd: { name: haproxy, state: reloaded }
`;

/** Write ansible.cfg, the inventory (YAML's JSON subset), the playbook and files/ for `farm`. */
function writeProject(farm: Farm): string {
  const dir = projectDir();
  writeFileSync(join(dir, 'site.yml'), PLAYBOOK);
  writeFileSync(join(dir, 'files/web.conf'), renderSite('web', 80, '/var/www/web'));
  writeFileSync(join(dir, 'files/haproxy.cfg'), farmHaproxyConfig(farm.webs));
  const hosts = (ns: Farm['nodes']) => Object.fromEntries(ns.map((n) => [n.name, { ansible_host: n.address }]));
  const inventory = {
    all: {
      vars: { ansible_user: 'root', ansible_ssh_private_key_file: KEY },
      children: {
        lb: { hosts: hosts([farm.lb]), vars: { farm_packages: ['curl', 'ca-certificates', 'haproxy'] } },
        web: { hosts: hosts(farm.webs), vars: { farm_packages: ['curl', 'ca-certificates', 'nginx'] } },
      },
    },
  };
  writeFileSync(join(dir, 'inventory.yml'), `${JSON.stringify(inventory, null, 2)}\n`);
  return dir;
}

/** A temp project dir with the bench's ansible.cfg (and an empty files/). */
export function projectDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'forklift-bench-ansible-'));
  mkdirSync(join(dir, 'files'));
  writeFileSync(join(dir, 'ansible.cfg'), ANSIBLE_CFG);
  return dir;
}

let invocation = 0;
/**
 * One `ansible-playbook site.yml` in `dir` (ansible.cfg, inventory.yml); a fresh ControlPath
 * dir each time, so no run reuses another's SSH masters. Throws unless `hosts` hosts recap.
 */
export async function playbook(dir: string, hosts = 5) {
  const cp = join(dir, `cp${invocation++}`);
  mkdirSync(cp);
  const env = { ...process.env, ANSIBLE_CONFIG: join(dir, 'ansible.cfg'), ANSIBLE_SSH_CONTROL_PATH_DIR: cp, ANSIBLE_INVENTORY: join(dir, 'inventory.yml') };
  const r = await run('ansible-playbook', ['site.yml'], { cwd: dir, env });
  if (r.code !== 0) throw new Error(`ansible-playbook exited ${r.code}:\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-2000)}`);
  const recap = [...r.stdout.matchAll(/^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/gm)];
  if (recap.length !== hosts) throw new Error(`ansible-playbook: expected a recap for ${hosts} hosts:\n${r.stdout.slice(-4000)}`);
  const changed = recap.reduce((n, m) => n + Number(m[3]), 0);
  // profile_tasks: "name ---------- 12.34s" per task, at the end of stdout.
  const tasks = new Map([...r.stdout.matchAll(/^(.+?) -{3,} (\d+\.\d+)s$/gm)].map((m) => [m[1]!.trim(), Number(m[2]) * 1000]));
  return { ms: r.ms, changed, tasks };
}

export async function ansibleRound(i: number, noopRuns: number): Promise<void> {
  const stack = `bab${process.pid}r${i}`;
  let dir: string | undefined;
  try {
    log(`ansible: create 5 nodes (stack ${stack})`);
    const farm = await createFarm(stack);
    dir = writeProject(farm);
    log(`ansible: ${version} playbook, fresh`);
    const fresh = await playbook(dir);
    const extra = await untilServing(farm.lb.address, farm.webs.map((w) => w.name));
    record(`${version}: create 5 nodes (local provider, parallel)`, farm.createMs);
    record(`${version}: ansible-playbook, fresh`, fresh.ms);
    const apt = fresh.tasks.get('packages');
    if (apt !== undefined) {
      record('  ↳ task packages (apt update + install, all 5 hosts)', apt);
      record('  ↳ rest: start-up, other tasks, handlers', fresh.ms - apt);
    }
    record(`${version}: playbook done → lb serving all 4 webs`, extra);
    record(`${version}: total fresh → serving (create + playbook + wait)`, farm.createMs + fresh.ms + extra);
    for (let j = 0; j < noopRuns; j++) {
      const noop = await playbook(dir);
      if (noop.changed !== 0) throw new Error(`ansible no-op re-run reported changed=${noop.changed}`);
      record(`${version}: ansible-playbook no-op re-run (changed=0)`, noop.ms);
    }
  } finally {
    log(`ansible: destroy ${stack}`);
    await destroyFarm(stack);
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}
