// An existing node's power and shape: stop, start and reboot it with its files kept (its
// overlay delta stays); change its CPU and memory limits (in its LXC config, and live when
// it runs); replace root's authorized keys while it is stopped.
import { lstatSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, closeSync, constants } from 'node:fs';
import { join } from 'node:path';
import { ProviderError } from '../../errors.ts';
import type { NodeSpec } from '../../spec/node.ts';
import { limitLines } from './lxcconfig.ts';
import { withLock } from './lock.ts';
import { deltaDir } from './node.ts';
import type { Site } from './site.ts';
import { containerDir } from './store.ts';

/** How long a clean shutdown may take before the container is killed, s. */
const SHUTDOWN_TIMEOUT_S = 60;

export async function isRunning(site: Site, container: string): Promise<boolean> {
  const info = await site.runner.run('lxc-info', ['-P', site.lxcPath, '-n', container, '-s', '-H'], { allowFail: true });
  return info.stdout.trim() === 'RUNNING';
}

/** Shut the container down (init is asked; killed after SHUTDOWN_TIMEOUT_S), or kill it at once. Idempotent. */
export async function stopContainer(site: Site, container: string, force = false): Promise<void> {
  if (!(await isRunning(site, container))) return;
  await site.runner.run('lxc-stop', ['-P', site.lxcPath, '-n', container, ...(force ? ['-k'] : ['-t', String(SHUTDOWN_TIMEOUT_S)])], { timeoutMs: (SHUTDOWN_TIMEOUT_S + 30) * 1000 });
  if (await isRunning(site, container)) throw new ProviderError('local', `${container} is still running after lxc-stop`);
}

/** The config lines limitLines writes (cgroup v1 or v2), whatever their values. */
const LIMIT_LINE = /^lxc\.cgroup2?\.(memory\.limit_in_bytes|memory\.max|cpu\.shares|cpu\.weight)\s*=.*$/;

/** What a limit is when it is lifted, per cgroup key. */
const UNLIMITED: Record<string, string> = { 'memory.limit_in_bytes': '-1', 'memory.max': 'max', 'cpu.shares': '1024', 'cpu.weight': '100' };

/**
 * Replace the container's CPU and memory limits (limitLines: minRam → a memory limit of that
 * size, minCores → a CPU weight) in its config, and apply them at once when it runs.
 */
export async function setLimits(site: Site, container: string, hardware: Pick<NonNullable<NodeSpec['hardware']>, 'minCores' | 'minRam'>): Promise<void> {
  const file = join(containerDir(site.lxcPath, container), 'config');
  const wanted = limitLines(hardware);
  const old = await withLock(site.hostLock, async () => {
    const lines = readFileSync(file, 'utf8').split('\n');
    const kept = lines.filter((l) => !LIMIT_LINE.test(l));
    while (kept.at(-1) === '') kept.pop();
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, [...kept, ...wanted, ''].join('\n'));
    renameSync(tmp, file);
    return lines.filter((l) => LIMIT_LINE.test(l));
  });
  if (!(await isRunning(site, container))) return;
  const values = new Map<string, string>();
  for (const line of old) values.set(cgroupKey(line), UNLIMITED[cgroupKey(line)] ?? '');
  for (const line of wanted) values.set(cgroupKey(line), line.split('=')[1]!.trim());
  for (const [key, value] of values) {
    if (!value) continue;
    const r = await site.runner.run('lxc-cgroup', ['-P', site.lxcPath, '-n', container, key, value], { allowFail: true });
    if (r.code !== 0) throw new ProviderError('local', `${container}: cannot set ${key} to ${value} while it runs (${r.stderr.trim() || `exit ${r.code}`}); the new limit applies from its next start`);
  }
}

function cgroupKey(line: string): string {
  return line.split('=')[0]!.trim().replace(/^lxc\.cgroup2?\./, '');
}

/**
 * Write root's authorized_keys into a stopped node's delta. Nothing of the node's own is
 * followed: a link or whiteout where /root, /root/.ssh or the file would be is replaced
 * (the node's root could have planted a link to a host path), and the file is renamed into place.
 */
export async function writeAuthorizedKeys(site: Site, container: string, keys: readonly string[]): Promise<void> {
  if (await isRunning(site, container)) throw new ProviderError('local', `${container} is running: stop it before its authorized keys are replaced`);
  const delta = deltaDir(site.lxcPath, container);
  for (const [dir, mode] of [[join(delta, 'root'), 0o700], [join(delta, 'root/.ssh'), 0o700]] as const) realDir(dir, mode);
  const file = join(delta, 'root/.ssh/authorized_keys');
  const tmp = `${file}.forklift-${process.pid}.tmp`;
  rmSync(tmp, { force: true });
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    writeFileSync(fd, keys.map((k) => k.trim()).filter(Boolean).join('\n') + '\n');
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

/** Make `dir` a real directory (not a link, whiteout or file), keeping it when it is one. */
function realDir(dir: string, mode: number): void {
  let kind: 'dir' | 'other' | 'none' = 'none';
  try {
    kind = lstatSync(dir).isDirectory() ? 'dir' : 'other';
  } catch {
    kind = 'none';
  }
  if (kind === 'dir') return;
  if (kind === 'other') rmSync(dir, { force: true });
  mkdirSync(dir, { mode });
}
