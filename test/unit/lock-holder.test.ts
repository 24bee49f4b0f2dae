// Who holds a stack lock: the text another operator reads, and when a holder is known gone.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { test } from 'node:test';
import { securityGroupName } from '../../src/providers/cloudstack/secgroup.ts';
import { lockName } from '../../src/providers/cloudstack/lock.ts';
import { bootId, describeHolder, holderIsGone, parseHolder } from '../../src/providers/shared/holder.ts';

const now = () => new Date().toISOString();

test('a holder names its operation, pid, host and time, and reads back', () => {
  const h = { operation: 'converge', pid: 4242, host: 'ci-3', since: '2026-01-02T03:04:05.000Z' };
  assert.equal(describeHolder(h), 'forklift converge (pid 4242 on ci-3, since 2026-01-02T03:04:05.000Z)');
  assert.deepEqual(parseHolder(`${describeHolder(h)} [0a1b2c3d]`), h);
  assert.equal(parseHolder('forklift converge (pid 1, since t)'), undefined, 'a lock taken before hosts were named');
});

test('a holder is gone only when it ran on this host in this boot and its process ended', () => {
  const here = { host: hostname(), boot: bootId()!, since: now(), operation: 'converge' };
  assert.match(here.boot, /^[0-9a-f]{8}$/);
  assert.equal(holderIsGone({ ...here, pid: process.pid }), false, 'this process');
  assert.equal(holderIsGone({ ...here, pid: process.ppid }), false, 'a live process');
  const ended = spawnSync('true').pid!;
  assert.equal(holderIsGone({ ...here, pid: ended }), true, 'an ended process');
  assert.equal(holderIsGone({ ...here, pid: ended, host: `${hostname()}-elsewhere` }), false, 'another host');
  assert.equal(holderIsGone({ ...here, pid: ended, boot: 'ffffffff' === here.boot ? '00000000' : 'ffffffff' }), false, 'another machine of the same name, or another boot');
  const { boot: _, ...unrecorded } = here;
  assert.equal(holderIsGone({ ...unrecorded, pid: ended }), false, 'a lock that did not record its boot');
  // A process that started after the lock was taken only reuses the holder's pid.
  assert.equal(holderIsGone({ ...here, pid: process.ppid, since: '2000-01-01T00:00:00.000Z' }), true, 'a reused pid');
  assert.deepEqual(parseHolder(`${describeHolder({ ...here, pid: 7 })} [0a1b2c3d, boot ${here.boot}]`), { ...here, pid: 7 });
});

test('security groups: distinct (stack, group) pairs get distinct names, never a lock name', () => {
  assert.notEqual(securityGroupName('a', 'b-web'), securityGroupName('a-b', 'web'));
  assert.equal(securityGroupName('a', 'b-web'), 'forklift-a.b-web');
  assert.notEqual(securityGroupName('lock', 'x'), lockName('x'));
});
