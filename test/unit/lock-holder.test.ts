// Who holds a stack lock: the text another operator reads, and when a holder is known gone.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { test } from 'node:test';
import { securityGroupName } from '../../src/providers/cloudstack/secgroup.ts';
import { lockName } from '../../src/providers/cloudstack/lock.ts';
import { describeHolder, holderIsGone, parseHolder } from '../../src/providers/shared/holder.ts';

const now = () => new Date().toISOString();

test('a holder names its operation, pid, host and time, and reads back', () => {
  const h = { operation: 'converge', pid: 4242, host: 'ci-3', since: '2026-01-02T03:04:05.000Z' };
  assert.equal(describeHolder(h), 'forklift converge (pid 4242 on ci-3, since 2026-01-02T03:04:05.000Z)');
  assert.deepEqual(parseHolder(`${describeHolder(h)} [0a1b2c3d]`), h);
  assert.equal(parseHolder('forklift converge (pid 1, since t)'), undefined, 'a lock taken before hosts were named');
});

test('a holder is gone only when it ran on this host and its process ended', () => {
  assert.equal(holderIsGone({ operation: 'converge', pid: process.pid, host: hostname(), since: now() }), false, 'this process');
  assert.equal(holderIsGone({ operation: 'converge', pid: process.ppid, host: hostname(), since: now() }), false, 'a live process');
  const ended = spawnSync('true');
  assert.equal(holderIsGone({ operation: 'converge', pid: ended.pid!, host: hostname(), since: now() }), true, 'an ended process');
  assert.equal(holderIsGone({ operation: 'converge', pid: ended.pid!, host: `${hostname()}-elsewhere`, since: now() }), false, 'another host');
  // A process that started after the lock was taken only reuses the holder's pid.
  assert.equal(holderIsGone({ operation: 'converge', pid: process.ppid, host: hostname(), since: '2000-01-01T00:00:00.000Z' }), true, 'a reused pid');
});

test('security groups: distinct (stack, group) pairs get distinct names, never a lock name', () => {
  assert.notEqual(securityGroupName('a', 'b-web'), securityGroupName('a-b', 'web'));
  assert.equal(securityGroupName('a', 'b-web'), 'forklift-a.b-web');
  assert.notEqual(securityGroupName('lock', 'x'), lockName('x'));
});
