// The hosts provider from an Ansible-style inventory, on machines forklift did not make:
// groups, children and vars (plans read them), a host in no group refused by one line
// before any machine is contacted, --limit on lift, check and exec touching only the named
// nodes, one SSH connection per host per operation (counted by each machine's sshd), and
// two "hosts" on one machine (two sshd ports) keeping their state apart (stateDir).
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import type { ExecResult, NodeListing, OperationResult } from '../../src/index.ts';
import type { NodeInfo } from '../../src/providers/types.ts';
import { addLogins, reconfigureSshd, sshdLog, testKey } from './accounts.ts';
import { forklift, stackDir } from './helpers.ts';
import { localNodes, ssh, stackName } from './nodes.ts';

const tmp = mkdtempSync(join(tmpdir(), 'fl-inventory-'));
const knownHosts = join(tmp, 'known_hosts');
const { key, pub } = testKey(tmp);
const stack = stackName('tinv');
let m: NodeInfo[] = [];
let dir = '';
const cli = (...args: string[]) => forklift(args, dir);

const inventory = (machines: NodeInfo[]) => `# as an Ansible operator writes it
all:
  vars:
    ansible_user: deploy
    ansible_ssh_private_key_file: ${key}
    motd: hello
  children:
    web:
      vars:
        http_port: 8080
      hosts:
        web-1: { ansible_host: ${machines[0]!.address} }
        web-2: { ansible_host: ${machines[1]!.address}, http_port: 9090 }
    db:
      hosts:
        # one machine, two sshd: two hosts sharing a filesystem, each with its own state
        db-1: { ansible_host: ${machines[2]!.address}, forklift_state_dir: /var/lib/forklift-db1 }
        db-2: { ansible_host: ${machines[2]!.address}, ansible_port: 2222, forklift_state_dir: /var/lib/forklift-db2 }
`;

const source = `import { defineConfig, execChecked, file, groupSpec, nodesWithRole, plan } from 'forklift';
export default defineConfig({
  stack: '${stack}',
  provider: { name: 'hosts', inventory: 'inventory.yml', knownHosts: '${knownHosts}' },
  groups: [
    groupSpec('web', { roles: ['web'], phases: {
      bootstrap: plan(file('/root/bootstrapped', { content: 'once\\n' })),
      configure: plan((ctx) => file('/root/vars', { content: [ctx.node.name, ctx.node.vars?.http_port, ctx.node.vars?.motd, ctx.nodesWithRole('web').map((n) => n.name).join(',')].join(' ') + '\\n' })),
    } }),
    groupSpec('db', { phases: {
      bootstrap: plan((ctx) => file('/root/bootstrapped-' + ctx.node.name, { content: 'once\\n' })),
      configure: plan((ctx) => file('/root/db-' + ctx.node.name, { content: ctx.node.name + '\\n' })),
      // A change whose handler a later failure (on db-1) keeps pending.
      deploy: plan((ctx) => {
        const release = file('/root/release-' + ctx.node.name, { content: 'v2\\n' });
        return [release, execChecked('gate', ctx.node.name === 'db-1' ? 'exit 3' : 'true'), execChecked('restart', 'true', { onChangeOf: [release] })];
      }),
    } }),
  ],
});
`;

/** Every deploy login sshd accepted on each machine since `logs` were taken. */
const logins = (logs: Array<ReturnType<typeof sshdLog>>) => logs.map((l) => l.logins('deploy').length);

describe('hosts from an Ansible-style inventory', { concurrency: false }, () => {
  before(async () => {
    m = await localNodes(stackName('tinm'), 'machines', ['i1', 'i2', 'i3'], { network: { inboundPorts: [22, 2222] } });
    for (const machine of m) addLogins(machine, pub, [{ name: 'deploy', sudo: 'nopasswd' }]);
    await reconfigureSshd(m[2]!, "printf 'Port 22\\nPort 2222\\n' > /etc/ssh/sshd_config.d/ports.conf", [22, 2222]);
    dir = stackDir(source);
    writeFileSync(join(dir, 'inventory.yml'), inventory(m));
  });

  it('converge bootstraps and configures every host with its vars, over one SSH connection per host', async () => {
    const logs = m.map((machine) => sshdLog(machine));
    const run = await cli('converge', '--json', '-q', 'web=2', 'db=2');
    assert.equal(run.code, 0, run.stderr + run.stdout);
    const result = JSON.parse(run.stdout) as OperationResult;
    assert.deepEqual(result.nodes.map((n) => [n.name, n.actions.map((a) => a.phase).join()]), [
      ['db-1', 'bootstrap,configure'], ['db-2', 'bootstrap,configure'], ['web-1', 'bootstrap,configure'], ['web-2', 'bootstrap,configure'],
    ]);
    // Host vars over group vars over all's; nodesWithRole sees the group.
    assert.equal(ssh(m[0]!, 'cat /root/vars').stdout, 'web-1 8080 hello web-1,web-2\n');
    assert.equal(ssh(m[1]!, 'cat /root/vars').stdout, 'web-2 9090 hello web-1,web-2\n');
    // Tags read, phases run and bootstrapped written: one login per host (db-1 and db-2 share machine 3).
    assert.deepEqual(logins(logs), [1, 1, 2]);
    const listed = JSON.parse((await cli('nodes', '--json')).stdout) as NodeListing[];
    assert.deepEqual(listed.map((n) => [n.name, n.group, n.tags['forklift-bootstrapped'], n.os.version]), [
      ['db-1', 'db', 'true', '12'], ['db-2', 'db', 'true', '12'], ['web-1', 'web', 'true', '12'], ['web-2', 'web', 'true', '12'],
    ]);
    assert.deepEqual(listed.find((n) => n.name === 'web-2')!.vars, { motd: 'hello', http_port: 9090 });
  });

  it('two hosts on one machine keep their tags and pending handlers in their own state dirs', async () => {
    const state = ssh(m[2]!, `cat /var/lib/forklift-db1/tags/${stack}.json; echo; cat /var/lib/forklift-db2/tags/${stack}.json; echo; test -e /var/lib/forklift/tags/${stack}.json || echo no-shared-tags`).stdout.split('\n');
    assert.match(state[0]!, /"forklift-group":"db"/);
    assert.match(state[0]!, /"forklift-bootstrapped":"true"/);
    assert.match(state[1]!, /"forklift-bootstrapped":"true"/);
    assert.equal(state[2], 'no-shared-tags');
    const run = await cli('lift', '--json', '-q', 'db', '--phase', 'deploy');
    const result = JSON.parse(run.stdout) as OperationResult;
    assert.deepEqual(result.nodes.map((n) => [n.name, n.actions.map((a) => `${a.name} ${a.status}`).join(', ')]), [
      ['db-1', 'file /root/release-db-1 changed, gate failed'],
      ['db-2', 'file /root/release-db-2 changed, gate changed, restart changed'],
    ]);
    // db-1's restart is pending in its own state dir; db-2's ran; nothing in the default one.
    assert.equal(ssh(m[2]!, 'ls /var/lib/forklift-db1/pending | wc -l; ls /var/lib/forklift-db2/pending | wc -l; ls /var/lib/forklift/pending 2>/dev/null | wc -l').stdout, '1\n0\n0\n');
  });

  it('--limit runs lift, check and exec on the named nodes only; the others are not contacted', async () => {
    ssh(m[0]!, 'rm /root/vars');
    ssh(m[1]!, 'rm /root/vars');
    let logs = m.map((machine) => sshdLog(machine));
    const lifted = await cli('lift', '--json', '-q', '--limit', 'web-2');
    assert.equal(lifted.code, 0, lifted.stderr);
    const result = JSON.parse(lifted.stdout) as OperationResult;
    assert.deepEqual(result.nodes.map((n) => n.actions.map((a) => `${a.name} ${a.status}`)), [['file /root/vars changed']]);
    // web-1 still counts for nodesWithRole, and was not touched.
    assert.equal(ssh(m[1]!, 'cat /root/vars').stdout, 'web-2 9090 hello web-1,web-2\n');
    assert.equal(ssh(m[0]!, 'test -e /root/vars || echo absent').stdout, 'absent\n');
    assert.deepEqual(logins(logs), [0, 1, 0]);

    logs = m.map((machine) => sshdLog(machine));
    const checked = await cli('check', '--json', '-q', 'web', '--limit', 'web-1,web-2');
    assert.deepEqual((JSON.parse(checked.stdout) as OperationResult).nodes.map((n) => [n.name, n.actions.map((a) => a.status).join()]), [['web-1', 'would-change'], ['web-2', 'ok']]);
    assert.deepEqual(logins(logs), [1, 1, 0]);

    logs = m.map((machine) => sshdLog(machine));
    const exec = await cli('exec', '--json', '--limit', 'web-1', 'web', '--', 'cat /root/vars 2>&1; id -un');
    assert.deepEqual((JSON.parse(exec.stdout) as ExecResult).nodes.map((n) => [n.name, n.stdout]), [['web-1', 'cat: /root/vars: No such file or directory\nroot\n']]);
    assert.deepEqual(logins(logs), [1, 0, 0]);
  });

  it('an unknown --limit name is one line listing the nodes, before any host is contacted', async () => {
    const logs = m.map((machine) => sshdLog(machine));
    for (const args of [['lift', '--limit', 'web-9'], ['check', '--limit', 'web-1,web-9'], ['exec', '--limit', 'web-9', 'web', '--', 'true']]) {
      const run = await cli(...args);
      assert.equal(run.code, 2, args.join(' '));
      assert.equal(run.stderr, `forklift: limit: no node web-9 in stack ${stack}; its nodes: db-1, db-2, web-1, web-2\n`);
    }
    const outside = await cli('exec', '--limit', 'db-1', 'web', '--', 'true');
    assert.deepEqual([outside.code, outside.stderr], [2, 'forklift: limit: node db-1 is in group db, not in web\n']);
    assert.deepEqual(logins(logs), [0, 0, 0]);
  });

  it('a host in no group is one line naming the file, its line and the host, before any host is contacted', async () => {
    const logs = m.map((machine) => sshdLog(machine));
    const stray = stackDir(source);
    writeFileSync(join(stray, 'inventory.yml'), `${inventory(m)}  hosts:\n    stray: { ansible_host: ${m[0]!.address} }\n`);
    const lines = inventory(m).split('\n').length;
    for (const verb of [['nodes'], ['lift'], ['exec', 'web', '--', 'true']]) {
      const run = await forklift(verb, stray);
      assert.equal(run.code, 1, verb.join(' '));
      assert.equal(run.stderr, `forklift: inventory.yml: line ${lines + 1}: all.hosts.stray: host stray is in no group (listed only under all.hosts); a forklift node belongs to one group: list it under a group's hosts\n`);
    }
    assert.deepEqual(logins(logs), [0, 0, 0]);
  });
});
