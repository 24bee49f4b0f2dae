// Scale benchmark: N local nodes with a small configure phase (directory, files, a user,
// a symlink; no package downloads), forklift's no-op lift against the floor (one `ssh`
// per node, all at once, running the same read-only checks). Prints a markdown table.
// Every node made is destroyed, also on failure.
//   npx tsx bench/scale.ts [N,N,...] [--with-ansible]     (default 20,50)
// --with-ansible adds an Ansible no-op (the same plan as a playbook, settings as in
// bench/ansible.ts) on the same nodes; it needs `apt-get install -y ansible` first.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import type { OperationResult } from '../src/index.ts';
import { playbook, projectDir, requireAnsible } from './ansible.ts';

const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin/forklift.js');
const KEY = '/var/lib/forklift/ssh/id_ed25519';
const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const SIZES = (positional[0] ?? '20,50').split(',').map(Number);
const WITH_ANSIBLE = process.argv.includes('--with-ansible');
const ansibleVersion = WITH_ANSIBLE ? await requireAnsible() : '';
const RUNS = 3;
const log = (m: string) => process.stderr.write(`[scale] ${m}\n`);

function run(cmd: string, argv: string[], cwd = ROOT, input?: string): Promise<{ code: number; ms: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const t0 = performance.now();
    const child = spawn(cmd, argv, { cwd, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    if (input !== undefined) child.stdin!.end(input);
    child.on('close', (code) => done({ code: code ?? 1, ms: performance.now() - t0, stdout, stderr }));
  });
}

const MOTD = 'managed by forklift\n';
const CONFIG = (name: string) => `${JSON.stringify({ node: name, workers: 4 })}\n`;
const sha = (text: string) => createHash('sha256').update(text).digest('hex');

const stackSource = (stack: string) => `import { defineConfig, directory, file, groupSpec, plan, symlink, user } from 'forklift';
export default defineConfig({
  stack: '${stack}',
  groups: [groupSpec('host', { phases: { configure: plan(
    user('app', { home: '/srv/app', shell: '/bin/sh' }),
    directory('/srv/app', { owner: 'app', mode: '0755' }),
    file('/etc/motd', { content: ${JSON.stringify(MOTD)}, mode: '0644' }),
    (ctx) => file('/srv/app/config.json', { content: JSON.stringify({ node: ctx.node.name, workers: 4 }) + '\\n', owner: 'app', mode: '0640' }),
    symlink('/srv/app/current', '/srv/app'),
  ) } })],
});
`;

/** The same read-only checks forklift's no-op runs, as one plain script per node. */
const floorCheck = (name: string) => `set -e
id -u app >/dev/null
test "$(getent passwd app | cut -d: -f7)" = /bin/sh
test "$(getent passwd app | cut -d: -f6)" = /srv/app
test -d /srv/app && test "$(stat -c %U /srv/app)" = app && test "$(stat -c %a /srv/app)" = 755
printf '%s  %s\\n%s  %s\\n' ${sha(MOTD)} /etc/motd ${sha(CONFIG(name))} /srv/app/config.json | sha256sum -c --quiet
test "$(stat -c %a /etc/motd)" = 644 && test "$(stat -c %U /srv/app/config.json)" = app && test "$(stat -c %a /srv/app/config.json)" = 640
test "$(readlink /srv/app/current)" = /srv/app
`;

/** The same plan as an Ansible play; config.json comes from files/ (no templating of JSON). */
const PLAYBOOK = `- name: scale
  hosts: all
  gather_facts: false
  tasks:
    - ansible.builtin.user: { name: app, home: /srv/app, shell: /bin/sh }
    - ansible.builtin.file: { path: /srv/app, state: directory, owner: app, mode: "0755" }
    - ansible.builtin.copy: { content: ${JSON.stringify(MOTD)}, dest: /etc/motd, mode: "0644" }
    - ansible.builtin.copy: { src: "files/config-{{ inventory_hostname }}.json", dest: /srv/app/config.json, owner: app, mode: "0640" }
    - ansible.builtin.file: { src: /srv/app, dest: /srv/app/current, state: link }
`;
function ansibleProject(nodes: { name: string; address: string }[]): string {
  const dir = projectDir();
  writeFileSync(join(dir, 'site.yml'), PLAYBOOK);
  for (const n of nodes) writeFileSync(join(dir, 'files', `config-${n.name}.json`), CONFIG(n.name));
  const hosts = Object.fromEntries(nodes.map((n) => [n.name, { ansible_host: n.address }]));
  writeFileSync(join(dir, 'inventory.yml'), `${JSON.stringify({ all: { vars: { ansible_user: 'root', ansible_ssh_private_key_file: KEY }, hosts } }, null, 2)}\n`);
  return dir;
}

const SSH = ['-i', KEY, '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', '-o', 'BatchMode=yes'];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const s = (ms: number) => (ms / 1000).toFixed(2);
const rows: string[] = [];
const row = (label: string, xs: number[]) => rows.push(`| ${label} | ${xs.length} | ${s(median(xs))} | ${s(Math.min(...xs))} | ${s(Math.max(...xs))} |`);

mkdirSync(join(ROOT, '.tmp'), { recursive: true });
for (const n of SIZES) {
  const stack = `bsc${process.pid}n${n}`;
  const dir = mkdtempSync(join(ROOT, '.tmp', 'scale-'));
  writeFileSync(join(dir, 'forklift.config.ts'), stackSource(stack));
  try {
    log(`converge host=${n}`);
    const made = await run('node', [BIN, 'converge', '--json', '-q', `host=${n}`], dir);
    if (made.code !== 0) throw new Error(`converge failed: ${made.stderr}${made.stdout.slice(-2000)}`);
    const nodes = (JSON.parse(made.stdout) as OperationResult).nodes;
    row(`${n} nodes: forklift converge from nothing`, [made.ms]);
    const lifts: number[] = [];
    const floors: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const lift = await run('node', [BIN, 'lift', '--json', '-q'], dir);
      const result = JSON.parse(lift.stdout) as OperationResult;
      if (lift.code !== 0 || result.changed !== 0) throw new Error(`no-op lift changed ${result.changed} or failed: ${lift.stderr}`);
      lifts.push(lift.ms);
      const t0 = performance.now();
      const checks = await Promise.all(nodes.map((node) => run('ssh', [...SSH, `root@${node.address}`, 'sh -s'], ROOT, floorCheck(node.name))));
      const bad = checks.find((c) => c.code !== 0);
      if (bad) throw new Error(`floor check failed: ${bad.stderr}`);
      floors.push(performance.now() - t0);
    }
    row(`${n} nodes: forklift lift, no-op (node bin/forklift.js)`, lifts);
    row(`${n} nodes: floor no-op, one ssh per node at once`, floors);
    if (WITH_ANSIBLE) {
      const adir = ansibleProject(nodes);
      try {
        const noops: number[] = [];
        for (let i = 0; i < RUNS; i++) {
          const r = await playbook(adir, nodes.length);
          if (r.changed !== 0) throw new Error(`Ansible no-op changed ${r.changed}`);
          noops.push(r.ms);
        }
        row(`${n} nodes: ${ansibleVersion} no-op (changed=0), forks 20, pipelining, no facts`, noops);
      } finally {
        rmSync(adir, { recursive: true, force: true });
      }
    }
  } finally {
    log(`destroy ${stack}`);
    await run('node', [BIN, 'destroy', '--yes', '-q'], dir);
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`## scale bench, ${new Date().toISOString()}\n`);
console.log(`${cpus().length} cores (${cpus()[0]?.model.trim()}), ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}; load average at end ${loadavg().map((x) => x.toFixed(1)).join(' ')}\n`);
console.log('| measurement | runs | median s | min s | max s |\n|---|---|---|---|---|');
console.log(rows.join('\n'));
