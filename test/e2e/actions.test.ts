// Every action on ONE real local node through the engine API: converge runs each action
// once (changed), lift runs them again (ok). File content is read back byte for byte
// over SSH. A failing action fails the node with node, action, exit code and stderr.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { absent, directory, execChecked, file, packages, service, symlink, user } from '../../src/actions/index.ts';
import type { StackConfig } from '../../src/config/define.ts';
import { converge } from '../../src/engine/converge.ts';
import { lift } from '../../src/engine/lift.ts';
import type { NodeResult, OperationResult } from '../../src/engine/results.ts';
import { sh } from '../../src/shell/sh.ts';
import { groupSpec } from '../../src/spec/group.ts';
import { plan } from '../../src/spec/plan.ts';
import { ssh as sshRun, stackName } from './nodes.ts';

const HOSTILE = "it's \"$(id)\" `id` $HOME ${PATH} %s %d \\n \\\\ \\0\n-n\n日本語 é 😀\r\n\n\n";
const DIR = '/srv/fl e2e';
const UNIT = `[Unit]
Description=forklift e2e

[Service]
User=fl-e2e
ExecStart=/bin/sleep infinity

[Install]
WantedBy=multi-user.target
`;

const unitFile = file('/etc/systemd/system/fl-e2e.service', { content: UNIT });
const hostile = file(`${DIR}/it's $(x)`, { content: HOSTILE, owner: 'fl-e2e', group: 'adm', mode: '0640' });
const configure = plan(
  packages('tree'),
  user('fl-e2e', { shell: '/bin/sh', groups: ['adm'] }),
  // Debian has a 'staff' group but no such user: the user joins the existing group.
  user('staff'),
  directory(DIR, { owner: 'fl-e2e', mode: '0750' }),
  hostile,
  symlink(`${DIR}/link`, "it's $(x)"),
  execChecked('make doomed', sh`mkdir -p ${`${DIR}/doomed/sub`} && touch ${`${DIR}/made`}`, { creates: `${DIR}/made` }),
  absent(`${DIR}/doomed`),
  unitFile,
  execChecked('daemon-reload', 'systemctl daemon-reload', { onChangeOf: [unitFile] }),
  service('fl-e2e'),
  service('fl-e2e', { state: 'restarted', onChangeOf: [hostile] }),
);
const HANDLERS = ['daemon-reload', 'service fl-e2e restarted'];

const stack: StackConfig = {
  stack: stackName('tact'),
  provider: { name: 'local' },
  groups: [
    groupSpec('node', {
      phases: {
        configure,
        broken: plan(packages('no-such-package-forklift'), file('/root/after-broken', { content: 'x' })),
      },
    }),
  ],
};

/** A command that must succeed on the node; its stdout as bytes. */
function ssh(address: string, command: string): Buffer {
  const r = sshRun(address, command);
  assert.equal(r.code, 0, `ssh ${command}: ${r.stderr}`);
  return r.bytes;
}

const statuses = (node: NodeResult, phase = 'configure') => Object.fromEntries(node.actions.filter((a) => a.phase === phase).map((a) => [a.name, a.status]));
const describeRun = (r: OperationResult) => JSON.stringify({ ok: r.ok, errors: r.errors, nodes: r.nodes.map((n) => ({ error: n.error, actions: n.actions.map((a) => [a.name, a.status]) })) }, null, 1);

describe('every action on a real node', { concurrency: false, timeout: 15 * 60_000 }, () => {
  let first: OperationResult;
  let address: string;

  before(async () => {
    first = await converge(stack, { node: 1 });
    assert.ok(first.ok, describeRun(first));
    assert.equal(first.nodes.length, 1);
    address = first.nodes[0]!.address;
  });

  const labels = ['packages tree', 'user fl-e2e', 'user staff', `directory ${DIR}`, hostile.label, `symlink ${DIR}/link -> it's $(x)`, 'make doomed', `absent ${DIR}/doomed`, unitFile.label, 'daemon-reload', 'service fl-e2e', 'service fl-e2e restarted'];

  test('the first run changes every action, in plan order', () => {
    const node = first.nodes[0]!;
    assert.deepEqual(
      node.actions.filter((a) => a.phase === 'configure').map((a) => a.name),
      labels,
    );
    assert.deepEqual(statuses(node), Object.fromEntries(labels.map((l) => [l, 'changed'])));
  });

  test('the node is in the state the actions describe', () => {
    assert.equal(ssh(address, `command -v tree`).toString().trim(), '/usr/bin/tree');
    assert.match(ssh(address, 'id -nG fl-e2e; getent passwd fl-e2e | cut -d: -f7').toString(), /\badm\b[\s\S]*\n\/bin\/sh\n$/);
    assert.equal(ssh(address, 'id -gn staff').toString(), 'staff\n');
    assert.equal(ssh(address, sh`stat -c '%U %a' ${DIR}`.text).toString(), 'fl-e2e 750\n');
    assert.deepEqual(ssh(address, sh`cat ${`${DIR}/it's $(x)`}`.text), Buffer.from(HOSTILE, 'utf8'));
    assert.deepEqual(ssh(address, sh`cat ${`${DIR}/link`}`.text), Buffer.from(HOSTILE, 'utf8'));
    assert.equal(ssh(address, sh`stat -c '%U %G %a' ${`${DIR}/it's $(x)`}; readlink ${`${DIR}/link`}`.text).toString(), "fl-e2e adm 640\nit's $(x)\n");
    assert.equal(ssh(address, sh`[ -e ${`${DIR}/made`} ] && [ ! -e ${`${DIR}/doomed`} ] && echo yes`.text).toString(), 'yes\n');
    assert.equal(ssh(address, 'systemctl is-enabled fl-e2e; systemctl is-active fl-e2e').toString(), 'enabled\nactive\n');
  });

  test('the second run changes nothing: every action ok, handlers skipped', async () => {
    const second = await lift(stack);
    assert.ok(second.ok, describeRun(second));
    assert.equal(second.changed, 0, describeRun(second));
    assert.deepEqual(statuses(second.nodes[0]!), Object.fromEntries(labels.map((l) => [l, HANDLERS.includes(l) ? 'skipped' : 'ok'])));
  });

  test('a failing action fails the node, naming node, action, exit code and stderr; later actions do not run', async () => {
    const r = await lift(stack, { phases: ['broken'] });
    assert.equal(r.ok, false);
    const node = r.nodes[0]!;
    assert.equal(node.ok, false);
    assert.deepEqual(statuses(node, 'broken'), { 'packages no-such-package-forklift': 'failed' });
    const failed = node.actions[0]!;
    assert.equal(failed.exitCode, 100);
    assert.match(node.error?.message ?? '', new RegExp(`^node ${node.name}: action "packages no-such-package-forklift" failed with exit code 100\\n`));
    assert.match(node.error?.message ?? '', /Unable to locate package no-such-package-forklift/);
    assert.equal(sshRun(address, 'test -e /root/after-broken').code, 1);
  });
});
