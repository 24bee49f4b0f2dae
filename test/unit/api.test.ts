// The public API: what src/index.ts exports is what docs/reference.md documents, and every
// CLI verb is a library function of the same name.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, test } from 'node:test';
import * as api from '../../src/index.ts';
import * as actions from '../../src/actions/index.ts';
import { program } from '../../src/cli/main.ts';

const reference = readFileSync(resolve(import.meta.dirname, '../../docs/reference.md'), 'utf8');

/** `### name(` headings under `## section`. */
function documented(section: string): string[] {
  const body = reference.split(/^## /m).find((part) => part.startsWith(`${section}\n`)) ?? '';
  return [...body.matchAll(/^### ([\w.]+)\(/gm)].map((m) => m[1]!).sort();
}

const isModule = (v: unknown) => Object.prototype.toString.call(v) === '[object Module]';
/** Building blocks for writing actions, documented in the README, not action constructors. */
const ACTION_HELPERS = new Set(['defineAction', 'action']);
/** Commands that run a tool (a new stack, shell completion, the version, the CloudStack-compatible test endpoint) rather than operate on a stack. */
const TOOLS = new Set(['init', 'completion', '__complete', 'version', 'cloudstack-endpoint', 'sessions']);
const verbCommands = () => program().commands.filter((c) => !TOOLS.has(c.name()));
/** A verb whose library function has another name: `plan` is the plan combinator (plan(...items)). */
const FUNCTION: Record<string, string> = { plan: 'planStack' };

describe('public API', () => {
  test('every exported action constructor is in docs/reference.md, and every documented action is exported', () => {
    const exported = Object.entries(actions)
      .filter(([name, v]) => typeof v === 'function' && !ACTION_HELPERS.has(name))
      .map(([name]) => name)
      .sort();
    for (const name of exported) assert.equal(typeof (api as Record<string, unknown>)[name], 'function', `${name} is not exported from src/index.ts`);
    assert.deepEqual(documented('Actions'), exported);
  });

  test('every function of every exported crate is in docs/reference.md, and vice versa', () => {
    const crates = Object.entries(api).filter(([, v]) => isModule(v));
    assert.ok(crates.length >= 2);
    const exported = crates
      .flatMap(([crate, mod]) => Object.entries(mod as object).filter(([, v]) => typeof v === 'function').map(([fn]) => `${crate}.${fn}`))
      .sort();
    assert.deepEqual(documented('Crates'), exported);
  });

  test('every CLI verb is an exported library function, and the reference lists it', () => {
    const verbs = verbCommands().map((c) => c.name()).sort();
    assert.deepEqual(verbs, ['check', 'converge', 'destroy', 'exec', 'lift', 'nodes', 'plan', 'ssh', 'unlock']);
    for (const verb of verbs) {
      const fn = FUNCTION[verb] ?? verb;
      assert.equal(typeof (api as Record<string, unknown>)[fn], 'function', `forklift ${verb} has no library function`);
      assert.match(reference, new RegExp(`\\| \`${fn}\\(.*\\| \`forklift ${verb} `), `docs/reference.md has no row for ${verb}`);
    }
  });

  test('every CLI option maps to an option of the library function', () => {
    // CLI-only presentation flags; everything else must be a library option.
    // --show-scripts is the library's `scripts: true` (node-script events), shown on stdout;
    // --detailed-exitcode, --out and --yes are about the process and its files, not the operation.
    const presentation = new Set(['file', 'json', 'quiet', 'verbose', 'showScripts', 'detailedExitcode', 'out', 'yes']);
    const libraryOption: Record<string, Record<string, string>> = {
      converge: { phase: 'phases', timeout: 'scriptTimeoutMs', plan: 'applyPlan' },
      plan: { phase: 'phases' },
      lift: { phase: 'phases', timeout: 'scriptTimeoutMs', limit: 'limit', diff: 'diff', serial: 'serial', maxFail: 'maxFail', stale: 'stale', rolling: 'rolling' },
      check: { phase: 'phases', timeout: 'scriptTimeoutMs', limit: 'limit', serial: 'serial', maxFail: 'maxFail', stale: 'stale', rolling: 'rolling' },
      exec: { timeout: 'timeoutMs', limit: 'limit' },
      nodes: {},
      destroy: {},
      unlock: {},
      ssh: {},
    };
    for (const cmd of verbCommands()) {
      for (const opt of cmd.options) {
        const key = opt.attributeName();
        if (presentation.has(key)) continue;
        assert.ok(libraryOption[cmd.name()]?.[key], `forklift ${cmd.name()} --${key} has no library option`);
      }
    }
  });
});
