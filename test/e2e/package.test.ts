// forklift as a new user gets it: `npm pack`, install the tarball into an empty TypeScript
// project, type-check a stack file and a script against the emitted declarations, run the
// script (converge with a progress listener) on real local nodes, then `npx forklift lift`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ssh, stackName } from './nodes.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const stack = stackName('tpk');
const work = mkdtempSync(join(tmpdir(), 'fl-pk-'));
const app = join(work, 'app');
// Nested npm must not inherit `npm test`'s own settings (prefix, package paths).
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));

function run(cmd: string, args: string[], cwd = app, timeout = 120_000) {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout, maxBuffer: 64 << 20 });
  return { code: r.status ?? 1, stdout: r.stdout ?? '', stderr: `${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

const file = (name: string, text: string) => writeFileSync(join(app, name), text);

// The project's third-party packages (forklift's dependencies and typescript) are kept between
// runs, keyed by what would change them; forklift itself is installed from the new tarball
// every run. FORKLIFT_TEST_FRESH_INSTALL=1 installs everything from scratch.
const TYPESCRIPT = 'typescript@^7.0.2';
// A TypeScript user runs their own scripts with tsx; forklift itself needs no TS loader.
const TSX = 'tsx@^4.23.15';
const dependencies = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: object }).dependencies;
const cacheKey = createHash('sha256').update(JSON.stringify([dependencies, TYPESCRIPT, TSX, process.version])).digest('hex').slice(0, 16);
const cached = join('/var/tmp/forklift-test-cache', `package-test-${cacheKey}`);
const useCache = process.env.FORKLIFT_TEST_FRESH_INSTALL !== '1';

before(() => {
  const packed = run('npm', ['pack', '--silent', '--pack-destination', work], ROOT);
  assert.equal(packed.code, 0, packed.stderr);
  const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
  assert.ok(tarball, 'npm pack made no tarball');
  mkdirSync(app);
  // What `npm init -y && npm pkg set type=module` writes, without two npm start-ups.
  file('package.json', `${JSON.stringify({ name: 'app', version: '1.0.0', type: 'module', private: true }, null, 2)}\n`);
  const warm = useCache && existsSync(join(cached, 'node_modules'));
  if (warm) assert.equal(run('cp', ['-a', join(cached, 'node_modules'), app]).code, 0);
  // One install for the whole file; npm's cache answers what it can without asking the registry.
  const installed = run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(work, tarball), TYPESCRIPT, TSX]);
  assert.equal(installed.code, 0, installed.stderr);
  if (useCache && !warm) {
    const tmp = `${cached}.${process.pid}`;
    mkdirSync(tmp, { recursive: true });
    if (run('cp', ['-a', join(app, 'node_modules'), tmp]).code === 0) {
      try {
        renameSync(tmp, cached);
      } catch {
        rmSync(tmp, { recursive: true, force: true }); // another run stored it first
      }
    }
  }
  file('tsconfig.json', JSON.stringify({
    compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, types: [] },
    include: ['forklift.config.ts', 'deploy.ts', 'typo.ts'],
  }, null, 2));
  file('forklift.config.ts', `import { defineConfig, file, groupSpec, nodeSpec, plan } from 'forklift';

export default defineConfig({
  stack: '${stack}',
  groups: [
    groupSpec('app', {
      nodeSpec: nodeSpec({
        userData: {
          write_files: [{ path: '/etc/app-banner', content: 'written by cloud-init\\n' }],
          packages: ['tree'],
        },
      }),
      phases: { configure: plan(file('/root/configured', { content: 'configured\\n', mode: '0644' })) },
    }),
  ],
});
`);
  file('deploy.ts', `import { converge, lift, type ForkliftEvent, type NodeResult, type OperationResult } from 'forklift';
import config from './forklift.config.js';

const seen: ForkliftEvent['type'][] = [];
const converged: OperationResult = await converge(config, { app: 1 }, {
  onEvent: (event) => {
    seen.push(event.type);
    if (event.type === 'node-created') console.error(\`created \${event.name} at \${event.address} in \${event.ms} ms\`);
  },
});
const node: NodeResult = converged.nodes[0]!;
const changed: number = node.actions.filter((a) => a.changed).length;
const lifted = await lift(config, { phases: ['configure'] });
console.log(JSON.stringify({ converged, lifted, seen, changed }));
`);
  file('typo.ts', `import { nodeSpec } from 'forklift';
export const spec = nodeSpec({ hardware: { minRam: 512, minCroes: 1 } });
`);
});

after(() => rmSync(work, { recursive: true, force: true }));

describe('the packed package in a new TypeScript project', () => {
  test('tsc: the stack file and the script check clean; a misspelled spec option is an error naming it', () => {
    // One tsc run over all three files (tsc is the slow part on a busy machine).
    const r = run('npx', ['tsc', '--noEmit', '-p', 'tsconfig.json']);
    assert.notEqual(r.code, 0, 'tsc accepted the misspelled option');
    const errors = r.stdout.split('\n').filter((l) => /error TS\d+/.test(l));
    assert.deepEqual(errors.filter((l) => !l.startsWith('typo.ts(')), [], 'errors outside typo.ts');
    assert.equal(errors.length, 1, r.stdout);
    assert.match(errors[0]!, /^typo\.ts\(2,\d+\): error TS\d+: .*'minCroes'/);
  });

  let apiLift: { nodes: unknown[] };
  test('the script converges real local nodes with typed results and progress events; the node has the file and package', () => {
    const r = run('npx', ['tsx', 'deploy.ts']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { converged: any; lifted: any; seen: string[]; changed: number };
    assert.equal(out.converged.ok, true, JSON.stringify(out.converged.nodes.map((n: any) => n.error)));
    assert.equal(out.converged.nodes.length, 1);
    const node = out.converged.nodes[0];
    assert.equal(node.created, true);
    assert.ok(out.changed >= 1);
    for (const type of ['node-creating', 'node-created', 'phase-start', 'node-phase-done', 'phase-end']) assert.ok(out.seen.includes(type), `no ${type} event`);
    assert.equal(out.lifted.ok, true);
    apiLift = out.lifted;
    const onNode = ssh(node.address, 'cat /etc/app-banner /root/configured && dpkg-query -W -f "\\${Status}\\n" tree');
    assert.equal(onNode.stdout, 'written by cloud-init\nconfigured\ninstall ok installed\n', onNode.stderr);
  });

  test('npx forklift lift --json gives the same per-node results as the API', () => {
    assert.ok(apiLift, 'the API lift did not run');
    const r = run('npx', ['forklift', 'lift', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const cliLift = JSON.parse(r.stdout) as { nodes: unknown[] };
    assert.deepEqual(cliLift.nodes, apiLift.nodes);
  });
});
