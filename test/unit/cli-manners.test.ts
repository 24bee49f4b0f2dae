// What a user sees of the CLI's manners without any node: --version, help with examples,
// the next step named by each common mistake, init's files, shell completion in bash.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { candidates, type StackFacts } from '../../src/cli/completion/candidates.ts';
import { program } from '../../src/cli/main.ts';
import { stackNameFor, TYPESCRIPT } from '../../src/cli/init/templates.ts';
import { forkliftSpec, nextSteps } from '../../src/cli/init/write.ts';
import { missingKernelFeatures, requireRoot } from '../../src/providers/local/preflight.ts';
import { BIN, forklift, ROOT, stackDir } from '../e2e/helpers.ts';

/** A temp folder inside the repo (git ignores .tmp/), removed when the test process exits. */
function tempDir(prefix: string): string {
  mkdirSync(join(ROOT, '.tmp'), { recursive: true });
  const dir = mkdtempSync(join(ROOT, '.tmp', prefix));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; devDependencies: Record<string, string> };

describe('--version and help', () => {
  it('--version, -V and forklift version print the version', async () => {
    for (const args of [['--version'], ['-V'], ['version']]) {
      const run = await forklift(args);
      assert.deepEqual([run.code, run.stdout, run.stderr], [0, `forklift ${pkg.version}\n`, ''], args.join(' '));
    }
  });

  it('forklift help VERB shows its options, the global ones and examples', async () => {
    for (const verb of ['converge', 'lift', 'check', 'exec', 'ssh', 'destroy', 'init', 'completion']) {
      const run = await forklift(['help', verb]);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, new RegExp(`^Usage: forklift ${verb} `));
      assert.match(run.stdout, /\nGlobal Options:\n[\s\S]*--no-color/);
      assert.match(run.stdout, new RegExp(`\\nExamples:\\n.*forklift ${verb}`), `${verb} has no examples`);
    }
    const converge = await forklift(['converge', '--help']);
    assert.match(converge.stdout, /forklift converge lb=1 web=4 +# each group to its count/);
    assert.match(converge.stdout, /-v, --verbose +a line per node, each node's script/);
    assert.match(converge.stdout, /-q, --quiet +only errors and the result/);
  });

  it('forklift help lists init and completion; a mistyped verb is suggested', async () => {
    const run = await forklift(['help']);
    assert.match(run.stdout, /\n  init \[options\] \[dir\] +start a stack/);
    assert.match(run.stdout, /\n  completion <shell> +print the shell completion script/);
    assert.doesNotMatch(run.stdout, /__complete/);
    const typo = await forklift(['converg', 'web=1']);
    assert.equal(typo.code, 2);
    assert.match(typo.stderr, /^forklift: unknown command 'converg'\n\(Did you mean converge\?\)\n$/);
  });

  it('output into a reader that is gone (| head -1) ends quietly: exit 0, nothing on stderr', async () => {
    // The reading end closes before forklift writes: its first write fails with EPIPE.
    const child = spawn(process.execPath, [BIN, '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((done) => child.once('close', done));
    assert.deepEqual([code, stderr], [0, '']);
  });

  it('-v and -q together are refused', async () => {
    const run = await forklift(['lift', '-v', '-q']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^forklift: option '-v, --verbose' cannot be used with option '-q, --quiet'\n$/);
  });
});

describe('common mistakes name the next step', () => {
  it('no stack file here: run forklift init, or name one with -f', async () => {
    const empty = tempDir('empty-');
    const run = await forklift(['converge', 'app=1'], empty);
    assert.equal(run.code, 1);
    assert.equal(run.stderr, 'forklift: forklift.config.ts: not found in this folder; run `forklift init` to make one, or name a stack file with -f FILE\n');
  });

  it('not root, for the local provider: run it with sudo', () => {
    assert.throws(() => requireRoot(1000), /^ProviderError: local: the local provider needs root \(it runs LXC and iptables\): run forklift with sudo$/);
    assert.doesNotThrow(() => requireRoot(0));
  });

  it('no LXC support in the kernel: what is missing, by name and kernel option (as lxc-checkconfig reads it)', () => {
    const root = tempDir('kernel-');
    mkdirSync(join(root, 'proc/self/ns'), { recursive: true });
    for (const ns of ['mnt', 'uts', 'ipc', 'pid']) writeFileSync(join(root, 'proc/self/ns', ns), '');
    writeFileSync(join(root, 'proc/filesystems'), 'nodev\tproc\n\text4\n');
    mkdirSync(join(root, 'boot'));
    writeFileSync(join(root, 'boot/config-6.1.0-test'), 'CONFIG_CGROUPS=y\nCONFIG_VETH=m\n# CONFIG_BRIDGE is not set\nCONFIG_OVERLAY_FS=y\n');
    assert.deepEqual(missingKernelFeatures(root, '6.1.0-test'), ['network namespaces (CONFIG_NET_NS)', 'control groups (CONFIG_CGROUPS)', 'network bridges (CONFIG_BRIDGE)']);
    // This machine runs LXC nodes: nothing is missing.
    assert.deepEqual(missingKernelFeatures(), []);
  });
});

describe('forklift init', () => {
  it('names a stack after its folder; depends on this checkout (not a registry copy) and on forklift\'s TypeScript', () => {
    assert.equal(stackNameFor('My App_2'), 'my-app-2');
    assert.equal(stackNameFor('2048'), 'app');
    assert.equal(stackNameFor('a'.repeat(40)), 'a'.repeat(24));
    assert.equal(forkliftSpec(ROOT), `file:${ROOT}`);
    assert.equal(forkliftSpec('/home/u/app/node_modules/forklift/'), `^${pkg.version}`);
    assert.equal(TYPESCRIPT, pkg.devDependencies['typescript']);
  });

  it('--no-install: writes the files and says what to run next; refuses to overwrite them', async () => {
    const dir = join(tempDir('init-'), 'shop');
    const run = await forklift(['init', '--no-install', dir]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^wrote forklift\.config\.ts, package\.json, tsconfig\.json, \.gitignore in \S*shop \(stack shop, group app\)\nnext:\n  cd \S*shop\n  npm install +# forklift and typescript into node_modules\n  (sudo )?npx forklift converge app=1 +# one node of group app/);
    assert.match(readFileSync(join(dir, 'forklift.config.ts'), 'utf8'), /stack: 'shop'/);
    const again = await forklift(['init', '--no-install', dir]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^forklift: init: \S*shop already has forklift\.config\.ts, package\.json, tsconfig\.json, \.gitignore; use --force to overwrite, or name another folder: forklift init DIR\n$/);
    assert.equal((await forklift(['init', '--no-install', '--force', dir])).code, 0);
    const bad = await forklift(['init', '--no-install', '--stack', 'Bad_Name', dir]);
    assert.equal(bad.code, 2);
  });

  it('the next steps say sudo only when not root', () => {
    const result = { dir: process.cwd(), stack: 'app', files: ['forklift.config.ts'], forklift: '^0.1.0', installed: true };
    assert.match(nextSteps(result, false), /\n  sudo npx forklift converge app=1 /);
    assert.match(nextSteps(result, true), /\n  npx forklift converge app=1 /);
  });
});

describe('shell completion', () => {
  const facts: StackFacts = {
    groups: async (file) => (file === 'forklift.config.ts' ? [{ name: 'web', phases: ['configure', 'deploy'] }, { name: 'lb', phases: ['configure'] }] : [{ name: 'db', phases: [] }]),
    nodes: async () => [{ name: 'web-1a2b', group: 'web' }, { name: 'lb-0f0f', group: 'lb' }],
  };
  const values = async (...words: string[]) => (await candidates(program(), words, facts)).map((c) => c.value);

  it('verbs, a verb\'s flags, group counts, groups, phases, nodes, files', async () => {
    assert.deepEqual(await values(''), ['init', 'plan', 'converge', 'lift', 'check', 'nodes', 'exec', 'ssh', 'destroy', 'unlock', 'sessions', 'completion', 'version', 'cloudstack-endpoint', 'help']);
    assert.deepEqual(await values('converge', ''), ['web=', 'lb=']);
    assert.deepEqual(await values('converge', 'web', '=', '2', ''), ['lb='], 'bash splits web=2 at =');
    assert.deepEqual(await values('converge', '-f', 'other.ts', ''), ['db=']);
    assert.deepEqual(await values('lift', 'web', ''), ['lb']);
    assert.deepEqual(await values('lift', '--phase', ''), ['configure', 'deploy']);
    assert.deepEqual(await values('ssh', ''), ['web-1a2b', 'lb-0f0f']);
    assert.deepEqual(await values('exec', ''), ['web', 'lb']);
    assert.deepEqual(await values('exec', 'web', '--', ''), []);
    assert.deepEqual(await values('converge', '-f', ''), [':files']);
    assert.deepEqual(await values('completion', ''), ['bash', 'zsh']);
    assert.deepEqual(await values('help', ''), (await values('')).filter((v) => v !== 'help'));
    const flags = await values('converge', '--');
    for (const flag of ['--file', '--phase', '--timeout', '--json', '--quiet', '--verbose', '--no-color', '--help']) assert.ok(flags.includes(flag), `${flag} in ${flags}`);
  });

  it('a stack file that does not load completes nothing, quietly', async () => {
    const broken: StackFacts = { groups: async () => Promise.reject(new Error('syntax error')), nodes: async () => Promise.reject(new Error('no root')) };
    assert.deepEqual(await candidates(program(), ['lift', ''], broken), []);
    assert.deepEqual(await candidates(program(), ['ssh', ''], broken), []);
  });

  it('in bash: the script registers forklift, and the function completes from the stack file', () => {
    const dir = stackDir(`import { defineConfig, groupSpec, plan, packages } from 'forklift';
export default defineConfig({ stack: 'completion', groups: [groupSpec('web', { phases: { deploy: plan(packages('curl')) } }), groupSpec('lb')] });
`);
    const script = spawnSync(process.execPath, [BIN, 'completion', 'bash'], { encoding: 'utf8' });
    assert.equal(script.status, 0, script.stderr);
    writeFileSync(join(dir, 'completion.bash'), script.stdout);
    const complete = (...words: string[]) => {
      const line = words.map((w) => `'${w}'`).join(' ');
      const r = spawnSync('bash', ['--norc', '-c', `source ./completion.bash; COMP_WORDS=(forklift ${line}); COMP_CWORD=${words.length}; _forklift_complete; printf '%s\\n' "\${COMPREPLY[@]}"`], { cwd: dir, encoding: 'utf8', env: { ...process.env, PATH: `${dirname(process.execPath)}:/usr/bin:/bin` } });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout.split('\n').filter(Boolean);
    };
    assert.match(spawnSync('bash', ['--norc', '-c', 'source ./completion.bash; complete -p forklift'], { cwd: dir, encoding: 'utf8' }).stdout, /^complete -F _forklift_complete forklift$/m);
    assert.deepEqual(complete('con'), ['converge']);
    assert.deepEqual(complete('converge', ''), ['web=', 'lb=']);
    assert.deepEqual(complete('lift', '--phase', 'd'), ['deploy']);
    assert.deepEqual(complete('destroy', 'l'), ['lb']);
    assert.deepEqual(complete('converge', '--ver'), ['--verbose']);
    assert.deepEqual(complete('lift', '-f', 'forklift.con'), ['forklift.config.ts']);
  });
});
