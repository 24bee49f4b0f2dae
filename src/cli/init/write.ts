// forklift init: write a stack to start from, then install forklift into its folder (as
// `pulumi new` installs its dependencies), so `npx forklift converge app=1` works at once.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { ForkliftError, UsageError } from '../../errors.ts';
import { isInstalledPackage, packageRoot, version } from '../package.ts';
import { GITIGNORE, GROUP, packageJson, stackFile, stackNameFor, tsconfig } from './templates.ts';

export interface InitOptions {
  stack?: string;
  force?: boolean;
  install?: boolean;
}

export interface InitResult {
  dir: string;
  stack: string;
  files: string[];
  /** What package.json asks for as forklift. */
  forklift: string;
  installed: boolean;
}

const STACK_NAME = /^[a-z][a-z0-9-]{0,23}$/;

/**
 * forklift as the new project depends on it: this version from the registry when this
 * forklift is an installed package, or this very folder (as `npm link` would) when it runs
 * from a checkout of forklift's source, which the registry does not have.
 */
export function forkliftSpec(root = packageRoot()): string {
  return isInstalledPackage(root) ? `^${version()}` : `file:${root.replace(/[\\/]$/, '')}`;
}

export async function init(dirArg: string, options: InitOptions, log: (line: string) => void): Promise<InitResult> {
  const dir = resolve(dirArg);
  const stack = options.stack ?? stackNameFor(basename(dir));
  if (!STACK_NAME.test(stack)) throw new UsageError(`init: --stack ${JSON.stringify(stack)}: stack names are 1-24 lowercase letters, digits or dashes, starting with a letter`);
  const forklift = forkliftSpec();
  const files: Array<[string, string]> = [
    ['forklift.config.ts', stackFile(stack)],
    ['package.json', packageJson(stack, forklift)],
    ['tsconfig.json', tsconfig()],
    ['.gitignore', GITIGNORE],
  ];
  const present = files.map(([name]) => name).filter((name) => existsSync(join(dir, name)));
  if (present.length && !options.force) {
    throw new ForkliftError(`init: ${shown(dir)} already has ${present.join(', ')}; use --force to overwrite, or name another folder: forklift init DIR`, 'EXISTS');
  }
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of files) writeFileSync(join(dir, name), text);
  let installed = false;
  if (options.install !== false) {
    log(`installing forklift (${forklift}) and typescript: npm install`);
    await npmInstall(dir);
    installed = true;
  }
  return { dir, stack, files: files.map(([name]) => name), forklift, installed };
}

/** What to run next, for the folder made. */
export function nextSteps(result: InitResult, isRoot = process.geteuid?.() === 0): string {
  const sudo = isRoot ? '' : 'sudo ';
  const where = shown(result.dir);
  const steps: Array<[string, string]> = [];
  if (where !== '.') steps.push([`cd ${where}`, '']);
  if (!result.installed) steps.push(['npm install', 'forklift and typescript into node_modules']);
  steps.push(
    [`${sudo}npx forklift converge ${GROUP}=1`, `one node of group ${GROUP}, bootstrapped and configured`],
    [`${sudo}npx forklift nodes`, "the stack's nodes"],
    [`${sudo}npx forklift destroy`, 'remove them'],
  );
  const width = Math.max(...steps.map(([c]) => c.length));
  return [
    `wrote ${result.files.join(', ')} in ${where} (stack ${result.stack}, group ${GROUP})`,
    'next:',
    ...steps.map(([c, what]) => (what ? `  ${c.padEnd(width)}   # ${what}` : `  ${c}`)),
  ].join('\n');
}

const shown = (dir: string) => relative(process.cwd(), dir) || '.';

function npmInstall(dir: string): Promise<void> {
  // npm's own output goes to stderr: stdout is the CLI's result. --prefix: an npm that
  // started this forklift (npx) may have set its own prefix in the environment.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_config_(prefix|global|location)$/i.test(k)));
  return new Promise((done, fail) => {
    const child = spawn('npm', ['install', '--no-audit', '--no-fund', '--prefix', dir], { cwd: dir, env, stdio: ['ignore', 2, 2] });
    child.on('error', (error) => fail(new ForkliftError(`init: could not run npm (${error.message}); install Node.js's npm, then run npm install in ${shown(dir)}`, 'INIT')));
    child.on('close', (code) => (code === 0 ? done() : fail(new ForkliftError(`init: npm install failed (exit code ${code}) in ${shown(dir)}; the files are written: fix what npm says, then run npm install there`, 'INIT'))));
  });
}
