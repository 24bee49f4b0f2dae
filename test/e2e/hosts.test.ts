// The hosts provider on machines that already exist (here: two local nodes made outside
// forklift's stack): converge bootstraps them once and configures them, tags live on the
// hosts, and asking for more machines than listed is refused by name.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import type { NodeListing, OperationResult } from '../../src/index.ts';
import type { NodeInfo } from '../../src/providers/types.ts';
import { quote } from '../../src/shell/sh.ts';
import { forklift, stackDir } from './helpers.ts';
import { localNodes, ssh, stackName } from './nodes.ts';

// Host keys are recorded in a file of this test's own, not in ~/.forklift/known_hosts.
const knownHosts = join(mkdtempSync(join(tmpdir(), 'fl-hosts-')), 'known_hosts');
const machines = stackName('thm');
const stack = stackName('thosts');
let hosts: NodeInfo[] = [];
let dir = '';

describe('hosts provider on existing machines', { concurrency: false }, () => {
  before(async () => {
    hosts = await localNodes(machines, 'machines', ['m1', 'm2']);
    dir = stackDir(`import { defineConfig, file, groupSpec, plan } from 'forklift';
export default defineConfig({
  stack: '${stack}',
  provider: { name: 'hosts', knownHosts: '${knownHosts}', hosts: [
    ${hosts.map((h, i) => `{ host: '${h.address}', group: 'app', name: 'app-${i + 1}', privateKeyPath: '/var/lib/forklift/ssh/id_ed25519' }`).join(',\n    ')},
  ] },
  groups: [groupSpec('app', { phases: {
    bootstrap: plan(file('/root/bootstrapped', { content: 'once\\n' })),
    configure: plan((ctx) => file('/root/role', { content: ctx.node.name + '\\n' })),
  } })],
});
`);
  });

  it('converge bootstraps each host once and configures it; tags live on the hosts', async () => {
    const run = await forklift(['converge', '--json', '-q', 'app=2'], dir);
    assert.equal(run.code, 0, run.stderr + run.stdout);
    const result = JSON.parse(run.stdout) as OperationResult;
    assert.deepEqual(result.nodes.map((n) => [n.name, n.created, n.ok]), [['app-1', false, true], ['app-2', false, true]]);
    for (const n of result.nodes) {
      assert.deepEqual(n.actions.map((a) => `${a.phase}: ${a.name} ${a.status}`), ['bootstrap: file /root/bootstrapped changed', 'configure: file /root/role changed']);
    }
    for (const [i, h] of hosts.entries()) {
      assert.equal(ssh(h.address, 'cat /root/role').stdout, `app-${i + 1}\n`);
      assert.match(ssh(h.address, `cat /var/lib/forklift/tags/${stack}.json`).stdout, /"forklift-bootstrapped":"true"/);
      // Tags may hold generated secrets: root's alone.
      assert.equal(ssh(h.address, `stat -c %a /var/lib/forklift/tags/${stack}.json`).stdout, '600\n');
    }
    // Each host's key was recorded on first contact, as OpenSSH would record it.
    assert.deepEqual(readFileSync(knownHosts, 'utf8').split('\n').filter(Boolean).map((l) => l.split(' ')[0]).sort(), hosts.map((h) => h.address).sort());
    const listed = JSON.parse((await forklift(['nodes', '--json'], dir)).stdout) as NodeListing[];
    assert.deepEqual(listed.map((n) => [n.name, n.group, n.tags['forklift-bootstrapped']]), [['app-1', 'app', 'true'], ['app-2', 'app', 'true']]);
    // The OS is read on the host itself, not assumed.
    assert.deepEqual(listed.map((n) => n.os), [{ family: 'debian', version: '12' }, { family: 'debian', version: '12' }]);
  });

  it('a second converge runs no bootstrap and changes nothing', async () => {
    const run = await forklift(['converge', '--json', '-q', 'app=2'], dir);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout) as OperationResult;
    assert.equal(result.changed, 0);
    assert.ok(result.nodes.every((n) => n.actions.every((a) => a.phase === 'configure')));
  });

  it('a no-op lift is one exec per host, counted by the hosts: reading its tags and the phase share it; so does a first converge', async () => {
    // Root's login shell logs each command sshd starts with it, then runs it as bash would.
    const counting = `#!/bin/sh\n{ printf '%s' "$*" | tr '\\n' ' '; echo; } >>/var/log/fl-execs\nexec /bin/bash "$@"\n`;
    for (const h of hosts) {
      const r = ssh(h, `printf '%s' ${quote(counting)} >/usr/local/bin/fl-counting-sh && chmod 755 /usr/local/bin/fl-counting-sh && : >/var/log/fl-execs && usermod -s /usr/local/bin/fl-counting-sh root`);
      assert.equal(r.code, 0, r.stderr);
    }
    // Lines not of this test's own reading (which names the log).
    const execs = () => hosts.map((h) => Number(ssh(h, 'grep -vc fl-execs /var/log/fl-execs || true').stdout.trim()));
    const direct = { FORKLIFT_SESSIONS: 'off' };
    try {
      const lift = await forklift(['lift', '--json', '-q'], dir, direct);
      assert.equal(lift.code, 0, lift.stderr);
      assert.equal((JSON.parse(lift.stdout) as OperationResult).changed, 0);
      assert.deepEqual(execs(), [1, 1]);
      const listed = await forklift(['nodes', '--json'], dir, direct);
      assert.equal(listed.code, 0, listed.stderr);
      assert.deepEqual(execs(), [2, 2]);
      // A first converge (no tags yet): facts, bootstrap, configure and the tag writes share one exec too.
      for (const h of hosts) ssh(h, `rm -f /var/lib/forklift/tags/${stack}.json /root/bootstrapped /root/role`);
      const before = execs();
      const first = await forklift(['converge', '--json', '-q', 'app=2'], dir, direct);
      assert.equal(first.code, 0, first.stderr);
      assert.deepEqual((JSON.parse(first.stdout) as OperationResult).nodes.map((n) => n.actions.map((a) => `${a.phase} ${a.status}`).join()), ['bootstrap changed,configure changed', 'bootstrap changed,configure changed']);
      assert.deepEqual(execs(), before.map((n) => n + 1));
    } finally {
      for (const h of hosts) ssh(h, 'usermod -s /bin/bash root; rm -f /usr/local/bin/fl-counting-sh /var/log/fl-execs');
    }
  });

  it('more machines than listed are refused before anything runs, naming the group and how many it has', async () => {
    const run = await forklift(['converge', 'app=3'], dir);
    assert.equal(run.code, 1);
    assert.equal(run.stderr, 'forklift: group app: hosts: cannot create machines: the list has 2 hosts in this group; converge it to at most 2\n');
  });
});
