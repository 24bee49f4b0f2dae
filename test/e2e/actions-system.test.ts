// The everyday system actions on ONE real local node: each runs once (changed) and again
// (ok), and what it describes is read back over SSH as an operator would see it: a login
// with the authorized key, sudo by the drop-in, the unit running, cron running the job,
// the live sysctl value, the host name. Then a change (a new unit restarts the service; an
// exclusive key list shuts the old key out) and the removal variants, twice each too.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { authorizedKeys, block, cron, execChecked, file, group, hostname, line, packages, sudoers, sysctl, systemdUnit, user } from '../../src/actions/index.ts';
import type { StackConfig } from '../../src/config/define.ts';
import { converge } from '../../src/engine/converge.ts';
import { check, lift } from '../../src/engine/lift.ts';
import type { NodeResult, OperationResult } from '../../src/engine/results.ts';
import { sh } from '../../src/shell/sh.ts';
import { groupSpec } from '../../src/spec/group.ts';
import { plan } from '../../src/spec/plan.ts';
import { waitFor } from './helpers.ts';
import { ssh as sshRun, stackName } from './nodes.ts';

const keys = mkdtempSync(join(tmpdir(), 'fl-sys-keys-'));
after(() => rmSync(keys, { recursive: true, force: true }));
function keyPair(name: string): { key: string; pub: string } {
  const key = join(keys, name);
  const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${name}@fl-sys`, '-f', key]);
  assert.equal(r.status, 0, r.stderr?.toString());
  return { key, pub: readFileSync(`${key}.pub`, 'utf8').trim() };
}
const [first, second] = [keyPair('first'), keyPair('second')];

const EDITED = "/srv/fl sys/it's $(x).conf";
const SEED = 'first\nkey = old\nkey = dup\nlast';
const HOSTILE_LINE = 'key = it\'s "$(id)" `id` $HOME %s \\ -e 日本語';
const HOSTILE_BLOCK = "it's $(id)\n\\n %s\n-e\n\n";
const EDITED_BYTES = `first\n${HOSTILE_LINE}\nlast\n# BEGIN forklift hostile\n${HOSTILE_BLOCK}# END forklift hostile\n`;
const HOST = 'fl-sys-e2e.example.test';
const unit = (description: string) => `[Unit]\nDescription=${description}\n\n[Service]\nExecStart=/bin/sleep infinity\n\n[Install]\nWantedBy=multi-user.target\n`;

const configure = plan(
  packages('sudo', 'cron'),
  group('fl-ops', { gid: 4242 }),
  user('fl-deploy', { shell: '/bin/sh', groups: ['fl-ops'] }),
  authorizedKeys('fl-deploy', { keys: [first.pub] }),
  execChecked('seed the edited file', sh`mkdir -p ${'/srv/fl sys'} && printf '%s' ${SEED} >${EDITED}`, { creates: EDITED }),
  line(EDITED, { match: '^key[[:space:]]*=', line: HOSTILE_LINE }),
  block(EDITED, 'hostile', { content: HOSTILE_BLOCK }),
  line('/etc/ssh/sshd_config', { match: '^#?MaxAuthTries[[:space:]]', line: 'MaxAuthTries 5' }),
  block('/etc/hosts', 'cluster', { content: '10.0.0.1 db-1\n10.0.0.2 db-2\n' }),
  sudoers('fl-deploy', { content: 'fl-deploy ALL=(root) NOPASSWD: /usr/bin/id\n' }),
  systemdUnit('fl-sys.service', { content: unit('forklift e2e 1') }),
  cron('fl-sys', { schedule: '* * * * *', command: 'date +%s >/var/tmp/fl-cron', user: 'fl-deploy' }),
  sysctl('net.ipv4.ip_local_port_range', { value: '32768 60990' }),
  hostname(HOST),
);
const change = plan(systemdUnit('fl-sys.service', { content: unit('forklift e2e 2') }), authorizedKeys('fl-deploy', { keys: [second.pub], exclusive: true }));
const remove = plan(
  line(EDITED, { match: '^key', state: 'absent' }),
  block(EDITED, 'hostile', { state: 'absent' }),
  block('/etc/hosts', 'cluster', { state: 'absent' }),
  authorizedKeys('fl-deploy', { keys: [second.pub], state: 'absent' }),
  sudoers('fl-deploy', { state: 'absent' }),
  systemdUnit('fl-sys.service', { state: 'absent' }),
  cron('fl-sys', { state: 'absent' }),
  sysctl('net.ipv4.ip_local_port_range', { state: 'absent' }),
  user('fl-deploy', { state: 'absent', removeHome: true }),
  group('fl-ops', { state: 'absent' }),
);

const broken = plan(sudoers('fl-deploy', { content: 'fl-deploy ALL=(root) NOPASSWD /usr/bin/id\n' }), file('/root/after-broken', { content: 'x' }));

const stack: StackConfig = {
  stack: stackName('tsys'),
  provider: { name: 'local' },
  groups: [groupSpec('node', { phases: { configure, change, remove, broken } })],
};

const labels = (p: typeof configure) => (p.items as ReadonlyArray<{ label: string }>).map((a) => a.label);
const statuses = (node: NodeResult, phase: string) => Object.fromEntries(node.actions.filter((a) => a.phase === phase).map((a) => [a.name, a.status]));
const all = (p: typeof configure, status: string) => Object.fromEntries(labels(p).map((l) => [l, status]));
const describeRun = (r: OperationResult) => JSON.stringify({ ok: r.ok, errors: r.errors, nodes: r.nodes.map((n) => ({ error: n.error, actions: n.actions.map((a) => [a.name, a.status, a.stderr]) })) }, null, 1);

describe('the everyday system actions on a real node', { concurrency: false, timeout: 15 * 60_000 }, () => {
  let address: string;
  /** A command that must succeed on the node (as root, or as fl-deploy with a key); its stdout. */
  const on = (command: string, options: { user?: string; key?: string } = {}) => {
    const r = sshRun(address, command, options);
    assert.equal(r.code, 0, `ssh ${command}: ${r.stderr}`);
    return r.stdout;
  };
  const lifted = async (phase: string) => {
    const r = await lift(stack, { phases: [phase] });
    assert.ok(r.ok, describeRun(r));
    return r.nodes[0]!;
  };

  before(async () => {
    const r = await converge(stack, { node: 1 });
    assert.ok(r.ok, describeRun(r));
    address = r.nodes[0]!.address;
    assert.deepEqual(statuses(r.nodes[0]!, 'configure'), all(configure, 'changed'));
  });

  test('the node is as the actions say: login by key, sudo by the drop-in, edits in place', () => {
    assert.equal(on('id -un; id -nG', { user: 'fl-deploy', key: first.key }), 'fl-deploy\nfl-deploy fl-ops\n');
    assert.equal(on('stat -c "%U %G %a" ~fl-deploy/.ssh ~fl-deploy/.ssh/authorized_keys'), 'fl-deploy fl-deploy 700\nfl-deploy fl-deploy 600\n');
    assert.equal(on('getent group fl-ops | cut -d: -f3'), '4242\n');
    // No "unable to resolve host" on stderr: /etc/hosts names the new host name.
    const sudo = sshRun(address, 'sudo -n /usr/bin/id -u', { user: 'fl-deploy', key: first.key });
    assert.deepEqual([sudo.code, sudo.stdout, sudo.stderr], [0, '0\n', '']);
    assert.equal(on('stat -c "%U %G %a" /etc/sudoers.d/fl-deploy'), 'root root 440\n');
    assert.deepEqual(sshRun(address, sh`cat ${EDITED}`.text).bytes, Buffer.from(EDITED_BYTES, 'utf8'));
    assert.equal(on("grep -c '^MaxAuthTries 5$' /etc/ssh/sshd_config; grep -c 'MaxAuthTries' /etc/ssh/sshd_config; sshd -t && echo valid"), '1\n1\nvalid\n');
    assert.match(on('cat /etc/hosts'), /\n# BEGIN forklift cluster\n10\.0\.0\.1 db-1\n10\.0\.0\.2 db-2\n# END forklift cluster\n$/);
  });

  test('the unit runs, the sysctl value is live and kept, the host name is set now and for the next boot', () => {
    assert.equal(on('systemctl is-enabled fl-sys; systemctl is-active fl-sys'), 'enabled\nactive\n');
    assert.equal(on('sysctl -n net.ipv4.ip_local_port_range; cat /etc/sysctl.d/90-forklift-net.ipv4.ip_local_port_range.conf'), '32768\t60990\nnet.ipv4.ip_local_port_range = 32768 60990\n');
    assert.equal(on('hostname; cat /etc/hostname; grep "^127.0.1.1" /etc/hosts'), `${HOST}\n${HOST}\n127.0.1.1\t${HOST} fl-sys-e2e\n`);
  });

  test('the second run changes nothing', async () => {
    const r = await lift(stack);
    assert.ok(r.ok, describeRun(r));
    assert.equal(r.changed, 0, describeRun(r));
    assert.deepEqual(statuses(r.nodes[0]!, 'configure'), all(configure, 'ok'));
  });

  test('a value changed by hand is set again: the sysctl check reads the live value', async () => {
    on('sysctl -q -w net.ipv4.ip_local_port_range="32768 60999"');
    const node = await lifted('configure');
    assert.equal(statuses(node, 'configure')['sysctl net.ipv4.ip_local_port_range = 32768 60990'], 'changed');
    assert.equal(on('sysctl -n net.ipv4.ip_local_port_range'), '32768\t60990\n');
  });

  test('a sudoers drop-in visudo refuses is not installed: the node fails, sudo still works', async () => {
    const r = await lift(stack, { phases: ['broken'] });
    const node = r.nodes[0]!;
    assert.equal(node.ok, false);
    assert.deepEqual(statuses(node, 'broken'), { 'sudoers fl-deploy': 'failed' });
    assert.equal(node.actions[0]!.exitCode, 3);
    assert.match(node.error?.message ?? '', /action "sudoers fl-deploy" failed with exit code 3\n[\s\S]*syntax error[\s\S]*validation failed: visudo -cf %s/);
    assert.equal(on('sudo -n /usr/bin/id -u', { user: 'fl-deploy', key: first.key }), '0\n');
    assert.equal(on('ls /etc/sudoers.d/; ls /root/after-broken 2>/dev/null || echo not run'), 'README\nfl-deploy\nnot run\n');
  });

  test('cron runs the job as its user, % and all', async () => {
    const out = await waitFor('cron to run the job', () => {
      const r = sshRun(address, 'stat -c %U /var/tmp/fl-cron && cat /var/tmp/fl-cron');
      return r.code === 0 ? r.stdout : undefined;
    }, 150_000);
    assert.match(out, /^fl-deploy\n\d{10}\n$/);
  });

  test('a changed unit restarts the service; an exclusive key list shuts the old key out', async () => {
    const pid = on('systemctl show --property MainPID --value fl-sys');
    // The user plants a link where the new file is written: the write must not follow it.
    on('printf victim >/root/fl-victim; chmod 644 /root/fl-victim');
    on('ln -s /root/fl-victim ~/.ssh/authorized_keys.forklift-new', { user: 'fl-deploy', key: first.key });
    assert.deepEqual(statuses(await lifted('change'), 'change'), all(change, 'changed'));
    assert.equal(on('cat /root/fl-victim; stat -c "%U %a" /root/fl-victim; ls -A ~fl-deploy/.ssh'), 'victimroot 644\nauthorized_keys\n');
    assert.equal(on('systemctl show --property Description --value fl-sys; systemctl is-active fl-sys'), 'forklift e2e 2\nactive\n');
    assert.notEqual(on('systemctl show --property MainPID --value fl-sys'), pid);
    assert.equal(on('id -un', { user: 'fl-deploy', key: second.key }), 'fl-deploy\n');
    assert.notEqual(sshRun(address, 'id -un', { user: 'fl-deploy', key: first.key }).code, 0);
    assert.deepEqual(statuses(await lifted('change'), 'change'), all(change, 'ok'));
  });

  test('the removal variants remove, then find nothing to do', async () => {
    const dry = await check(stack, { phases: ['remove'] });
    assert.ok(dry.ok, describeRun(dry));
    assert.deepEqual(statuses(dry.nodes[0]!, 'remove'), all(remove, 'would-change'));
    assert.equal(on('systemctl is-active fl-sys; id -un fl-deploy'), 'active\nfl-deploy\n');
    assert.deepEqual(statuses(await lifted('remove'), 'remove'), all(remove, 'changed'));
    assert.equal(on(sh`cat ${EDITED}`.text), 'first\nlast\n');
    assert.doesNotMatch(on('cat /etc/hosts'), /forklift/);
    assert.equal(on('systemctl is-active fl-sys || true; ls /etc/systemd/system/fl-sys.service /etc/sudoers.d/fl-deploy /etc/cron.d/fl-sys /etc/sysctl.d/90-forklift-net.ipv4.ip_local_port_range.conf 2>/dev/null | wc -l'), 'inactive\n0\n');
    assert.equal(on('getent passwd fl-deploy; getent group fl-ops; ls -d /home/fl-deploy 2>/dev/null; echo end'), 'end\n');
    assert.deepEqual(statuses(await lifted('remove'), 'remove'), all(remove, 'ok'));
  });
});
