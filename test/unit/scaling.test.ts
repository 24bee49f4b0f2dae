// What converge creates and removes, as a pure function of the nodes that exist.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { planScaling, uniqueName } from '../../src/engine/scaling.ts';
import type { NodeInfo, NodeState } from '../../src/providers/types.ts';
import { groupSpec } from '../../src/spec/group.ts';

const web = groupSpec('web');
const lb = groupSpec('lb');
const node = (name: string, group: string, state: NodeState = 'running', bootstrapped = true): NodeInfo => ({
  id: `id-${name}`,
  name,
  group,
  address: '10.0.0.1',
  state,
  tags: { 'forklift-stack': 's', 'forklift-group': group, ...(bootstrapped ? { 'forklift-bootstrapped': 'true' } : {}) },
  os: { family: 'debian', version: '12' },
  ssh: { host: '10.0.0.1', port: 22, user: 'root', privateKey: '' },
});
let n = 0;
const counter = (bytes: number) => (n++).toString(16).padStart(bytes * 2, '0');

describe('planScaling', () => {
  test('an untagged node an interrupted create left is never kept, and its name is not reused', () => {
    const untagged = { ...node('web-0000', ''), state: 'error' as const, tags: {} };
    const s = planScaling([untagged], [web], { web: 1 }, (bytes) => '00'.repeat(bytes));
    assert.deepEqual(s.keep, []);
    assert.equal(s.create.length, 1);
    assert.notEqual(s.create[0]!.name, 'web-0000');
  });

  test('creates the missing nodes with fresh names, and keeps the rest', () => {
    const existing = [node('web-0001', 'web')];
    const s = planScaling(existing, [web], { web: 3 }, counter);
    assert.deepEqual(s.remove, []);
    assert.equal(s.create.length, 2);
    assert.ok(s.create.every((c) => c.group === web && /^web-[0-9a-f]{4}$/.test(c.name) && c.name !== 'web-0001'));
    assert.deepEqual(s.keep.map((k) => k.name), ['web-0001']);
  });

  test('scales down: nodes that never finished bootstrap go first, then the newest names', () => {
    const existing = [node('web-a', 'web'), node('web-c', 'web'), node('web-b', 'web', 'running', false), node('lb-a', 'lb')];
    const s = planScaling(existing, [web], { web: 1 }, counter);
    assert.deepEqual(s.remove.map((r) => [r.node.name, r.reason]), [['web-b', 'scaling web to 1'], ['web-c', 'scaling web to 1']]);
    assert.deepEqual(s.create, []);
    assert.deepEqual(s.keep.map((k) => k.name), ['web-a', 'lb-a'], 'groups without a count are left alone');
  });

  test('a node left half-made by an interrupted run is removed and replaced, never adopted', () => {
    const existing = [node('web-a', 'web'), node('web-p', 'web', 'pending', false), node('web-e', 'web', 'error', false)];
    const s = planScaling(existing, [web, lb], { web: 2, lb: 0 }, counter);
    assert.deepEqual(s.remove.map((r) => [r.node.name, r.reason]), [['web-p', 'left pending by an earlier run'], ['web-e', 'left error by an earlier run']]);
    assert.equal(s.create.length, 1);
    assert.deepEqual(s.keep.map((k) => k.name), ['web-a']);
  });

  test('names never repeat, and grow longer when short ones run out (it always ends)', () => {
    const taken = new Set<string>();
    const same = (bytes: number) => 'x'.repeat(bytes);
    assert.equal(uniqueName('web', taken, same), 'web-xx');
    // The 2-byte name is taken now: after a few tries the next length is used.
    assert.equal(uniqueName('web', taken, same), 'web-xxx');
    const many = planScaling([], [web], { web: 70_000 });
    assert.equal(new Set(many.create.map((c) => c.name)).size, 70_000);
  });
});
