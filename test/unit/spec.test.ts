// Pallet's merge rules for specs, pinned one by one.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { execChecked, groupSpec, nodeSpec, plan, serverSpec, SpecError } from '../../src/index.ts';
import { phasePlan } from '../../src/spec/server.ts';
import { planActions, type PlanContext } from '../../src/spec/plan.ts';

const ctx = { node: { name: 'n1', group: 'g', address: '10.0.0.1', id: 'n1', roles: [] } } as unknown as PlanContext;
const step = (name: string) => execChecked(name, 'true');
const labels = async (spec: Parameters<typeof phasePlan>[0], phase: string) => (await planActions(phasePlan(spec, phase), ctx)).map((a) => a.label);

describe('serverSpec and groupSpec merge like Pallet', () => {
  it('extends folds left to right with the spec’s own phases last', async () => {
    const a = serverSpec({ phases: { configure: plan(step('a')) } });
    const b = serverSpec({ phases: { configure: plan(step('b')) } });
    const g = groupSpec('web', { extends: [a, b], phases: { configure: plan(step('own')) } });
    assert.deepEqual(await labels(g, 'configure'), ['a', 'b', 'own']);
  });

  it('phases of different names stay apart; nested extends chain inherited first', async () => {
    const base = serverSpec({ phases: { bootstrap: plan(step('boot')), configure: plan(step('base')) } });
    const mid = serverSpec({ extends: base, phases: { configure: plan(step('mid')) } });
    const g = groupSpec('web', { extends: [mid] });
    assert.deepEqual(await labels(g, 'configure'), ['base', 'mid']);
    assert.deepEqual(await labels(g, 'bootstrap'), ['boot']);
    assert.equal(phasePlan(g, 'deploy'), undefined);
  });

  it('roles are a set union', () => {
    const a = serverSpec({ roles: ['web', 'app'] });
    const b = serverSpec({ roles: ['app', 'cache'] });
    assert.deepEqual([...groupSpec('web', { extends: [a, b], roles: ['web', 'edge'] }).roles].sort(), ['app', 'cache', 'edge', 'web']);
  });

  it('node specs merge deeply, later wins, arrays are replaced', () => {
    const a = serverSpec({ nodeSpec: nodeSpec({ image: { osFamily: 'debian' }, hardware: { minRam: 512, minCores: 1 }, network: { inboundPorts: [22] } }) });
    const b = serverSpec({ nodeSpec: nodeSpec({ hardware: { minRam: 1024 }, network: { inboundPorts: [22, 80] } }) });
    const g = groupSpec('web', { extends: [a, b], nodeSpec: nodeSpec({ image: { osVersionMatches: '^12' } }) });
    assert.deepEqual(g.nodeSpec, {
      image: { osFamily: 'debian', osVersionMatches: '^12' },
      hardware: { minRam: 1024, minCores: 1 },
      network: { inboundPorts: [22, 80] },
    });
  });

  it('bad input names the spec and the field', () => {
    assert.throws(() => nodeSpec({ hardware: { minRam: -1 } }), (e: unknown) => e instanceof SpecError && /nodeSpec: hardware\.minRam/.test(e.message));
    assert.throws(() => groupSpec('Web'), (e: unknown) => e instanceof SpecError && /groupSpec/.test(e.message));
    // @ts-expect-error misspelled option is a type error too
    assert.throws(() => groupSpec('web', { role: ['x'] }), (e: unknown) => e instanceof SpecError && /group web/.test(e.message) && /role/.test(e.message));
    // @ts-expect-error a phase must be a plan
    assert.throws(() => serverSpec({ phases: { configure: [step('x')] } }), (e: unknown) => e instanceof SpecError && /phases\.configure/.test(e.message));
  });
});
