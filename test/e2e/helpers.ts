// Shared helpers for end-to-end tests: run the CLI as a user would, talk HTTP to nodes,
// wait for a condition. Nodes and SSH: nodes.ts.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import type { OperationResult } from '../../src/index.ts';

export const ROOT = resolve(import.meta.dirname, '../..');

// The CLIs tests start connect directly: no kept-sessions daemon outlives a test, and none
// is shared between tests. kept-sessions.test.ts turns it on (FORKLIFT_SESSIONS=on) for its own.
process.env['FORKLIFT_SESSIONS'] ??= 'off';
export const BIN = join(ROOT, 'bin/forklift.js');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `forklift ARGS` in `cwd`, as a user would from a shell (with `env` added to this process's environment). */
export function forklift(args: string[], cwd = ROOT, env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => done({ code: code ?? 1, stdout, stderr }));
  });
}

/**
 * Make sure a Debian package is installed, installing it with apt-get when `present()` says it is
 * missing (e2e tests run as root on a fresh Debian machine). Runs `apt-get update` and tries again
 * if the first install fails; throws a message saying what to run by hand if that fails too.
 */
export function ensureDebianPackage(pkg: string, present: () => boolean): void {
  if (present()) return;
  const apt = (...args: string[]) =>
    spawnSync('apt-get', args, { encoding: 'utf8', timeout: 300_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  const install = () => apt('install', '-y', '--no-install-recommends', pkg);
  let r = install();
  if (r.status !== 0) {
    const update = apt('update');
    r = update.status === 0 ? install() : update;
  }
  if (r.status !== 0 || !present()) {
    const why = r.error ? r.error.message : `${(r.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}`;
    throw new Error(
      `Debian package ${pkg} is missing and could not be installed (apt-get exit ${r.status ?? 'none'}: ${why}). ` +
        `Install it as root: apt-get update && apt-get install -y ${pkg}`,
    );
  }
}

/**
 * A temp folder with a forklift.config.ts holding `source`. It lives inside this repo
 * (git ignores .tmp/) so that `import ... from 'forklift'` resolves to this package, as
 * in a user's project; it is removed when the test process exits.
 */
export function stackDir(source: string): string {
  mkdirSync(join(ROOT, '.tmp'), { recursive: true });
  const dir = mkdtempSync(join(ROOT, '.tmp', 'stack-'));
  writeFileSync(join(dir, 'forklift.config.ts'), source);
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** GET http://address:port/ with a fresh connection; resolves with the body. */
export function httpGet(address: string, port = 80, timeoutMs = 3000): Promise<string> {
  return new Promise((done, fail) => {
    const req = request({ host: address, port, path: '/', agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => done(body));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', fail);
    req.end();
  });
}

/** Who answers `requests` fresh requests to the lb, by the node name each page carries. */
export async function servedBy(lb: string, requests = 8): Promise<Set<string>> {
  const names = new Set<string>();
  for (let i = 0; i < requests; i++) {
    const body = await httpGet(lb);
    const m = /served by (\S+)</.exec(body);
    if (!m) throw new Error(`unexpected page from the lb: ${body}`);
    names.add(m[1]!);
  }
  return names;
}

export const byGroup = (r: OperationResult, group: string) => r.nodes.filter((n) => n.group === group);

/** Whether a TCP connection to address:port succeeds within the timeout. */
export function canConnect(address: string, port: number, timeoutMs = 1500): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host: address, port, timeout: timeoutMs });
    socket.on('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.on('timeout', () => {
      socket.destroy();
      done(false);
    });
    socket.on('error', () => done(false));
  });
}

/** Poll `probe` until it returns a value (not undefined), or fail after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 50; ; delay = Math.min(delay * 1.5, 1000)) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, delay));
  }
}

/** Wait until a child's stderr has printed a line matching `pattern`; rejects if it exits first. */
export function stderrLine(child: import('node:child_process').ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((done, fail) => {
    let seen = '';
    const onData = (d: Buffer) => {
      seen += d;
      const line = seen.split('\n').find((l) => pattern.test(l));
      if (line !== undefined) {
        child.stderr!.off('data', onData);
        done(line);
      }
    };
    child.stderr!.on('data', onData);
    child.once('exit', (code) => fail(new Error(`exited (${code}) before printing ${pattern}:\n${seen}`)));
  });
}
