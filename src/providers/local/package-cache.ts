// The nodes' package cache: forklift's own apt-cacher-ng (Debian's package), one per host
// network, bound to the network's gateway address alone, so that each package list and
// package crosses the network once per host however many nodes ask for it. Its config is
// <stateDir>/package-cache/<bridge>/acng.conf, its log and pid are in var/ beside it, its
// cache is /var/cache/forklift/packages/<bridge>. It serves only the Debian mirrors of the
// host and of its images (ForceManaged): a node cannot use it to reach anything else.
// Host preparation starts it (under the host lock), finds it running on later runs, and
// starts it again when it died or its settings changed. It outlives forklift on purpose.
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { tail } from '../../text.ts';
import { ensureHostServicePort } from './firewall.ts';
import { imageRootfs, IMAGES } from './image.ts';
import { withLock } from './lock.ts';
import { aptSourcesIn, hostAptSources, httpOrigins } from './mirror.ts';
import { ACNG, type PackageCache } from './package-cache-paths.ts';
import { preparationKey, type Site } from './site.ts';

/** The unprivileged user Debian's package makes for it. */
const USER = 'apt-cacher-ng';
const START_WAIT_MS = 10_000;
const STOP_WAIT_MS = 5_000;

/** The mirrors nodes may fetch from: the host's, and those baked into cached images. */
function mirrorOrigins(): string[] {
  const images = IMAGES.map(imageRootfs).filter((root) => existsSync(root)).flatMap((root) => aptSourcesIn(root));
  return httpOrigins([...hostAptSources(), ...images]);
}

export function renderConfig(cache: PackageCache, origins: readonly string[]): string {
  // One remapping per mirror host (named by a hash, so the cache's folders stay put when the
  // sources change order); the host's path is kept, so /debian and /debian-security differ.
  const remaps = origins.map((o) => `Remap-fl${createHash('sha256').update(o).digest('hex').slice(0, 8)}: ${o.slice('http://'.length)} ; ${o}`);
  return [
    '# forklift: the package cache of the local provider\'s nodes; written by forklift, changes are overwritten',
    `CacheDir: ${cache.cacheDir}`,
    `LogDir: ${cache.varDir}`,
    'SupportDir: /usr/lib/apt-cacher-ng',
    `Port: ${cache.port}`,
    `BindAddress: ${cache.address}`,
    `PidFile: ${cache.pidFile}`,
    `SocketPath: ${join(cache.varDir, 'socket')}`,
    // Only the remapped mirrors, never a URL a node names (no reaching the host's own services).
    'ForceManaged: 1',
    ...remaps,
    'ExThreshold: 4',
    'UnbufferLogs: 1',
    'VerboseLog: 1',
    '',
  ].join('\n');
}

/** The pid of this cache's running daemon (its pid file names a live apt-cacher-ng with this config). */
export function runningPid(cache: PackageCache): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(cache.pidFile, 'utf8').trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 1) return undefined;
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    return argv[0] === ACNG && argv[1] === '-c' && argv[2] === cache.dir ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Whether something accepts TCP connections on the cache's address and port. */
export function answers(cache: PackageCache, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host: cache.address, port: cache.port, timeout: timeoutMs });
    const end = (ok: boolean) => (socket.destroy(), done(ok));
    socket.once('connect', () => end(true)).once('timeout', () => end(false)).once('error', () => end(false));
  });
}

/**
 * Make the cache run with its current settings; call it under the host lock, once the
 * bridge holds the gateway address. A cache that cannot start (its port taken) is logged
 * and skipped: nodes then fetch from the mirror directly (see apt-proxy.ts).
 */
export async function ensurePackageCache(site: Site): Promise<void> {
  const cache = site.packageCache;
  if (!cache) return;
  const where = `${cache.address}:${cache.port}`;
  await ensureHostServicePort(site, cache.port);
  const config = renderConfig(cache, mirrorOrigins());
  const confFile = join(cache.dir, 'acng.conf');
  const same = existsSync(confFile) && readFileSync(confFile, 'utf8') === config;
  const pid = runningPid(cache);
  if (pid && same && (await answers(cache))) return;
  if (pid) {
    site.log(`local: package cache: restarting apt-cacher-ng on ${where} (${same ? 'it did not answer' : 'its settings changed'})`);
    await stop(pid);
  } else if (existsSync(cache.pidFile)) {
    site.log(`local: package cache: apt-cacher-ng on ${where} had stopped; starting it again`);
  }
  mkdirSync(cache.dir, { recursive: true, mode: 0o755 });
  writeFileSync(confFile, config, { mode: 0o644 });
  const user = unprivilegedUser(cache);
  for (const dir of [cache.varDir, cache.cacheDir]) {
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    // Files left by a daemon that ran as another user (root, when the state folder was private).
    const want = user ?? { uid: 0, gid: 0 };
    if (statSync(dir).uid !== want.uid) await site.runner.run('chown', ['-R', `${want.uid}:${want.gid}`, dir]);
  }
  rmSync(cache.pidFile, { force: true });
  const argv = [ACNG, '-c', cache.dir];
  // It forks into its own session and returns: it is not one of the commands the runner stops with forklift.
  const started = await site.runner.run(user ? 'setpriv' : ACNG, user ? [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups', ...argv] : argv.slice(1), { allowFail: true });
  const deadline = Date.now() + START_WAIT_MS;
  while (started.code === 0 && Date.now() < deadline && !(runningPid(cache) && (await answers(cache, 200)))) await new Promise((r) => setTimeout(r, 100));
  const up = runningPid(cache);
  if (started.code === 0 && up && (await answers(cache))) {
    site.log(`local: package cache: apt-cacher-ng on ${where}${user ? '' : ' (as root: its folder is not reachable by the apt-cacher-ng user)'}, cache ${cache.cacheDir}, log ${cache.logFile}`);
    return;
  }
  if (up) await stop(up);
  const errors = join(cache.varDir, 'apt-cacher.err');
  const said = tail(started.stderr || (existsSync(errors) ? readFileSync(errors, 'utf8') : ''), 2);
  site.log(`local: package cache: apt-cacher-ng did not start on ${where}${said ? ` (${said})` : ''}; nodes fetch packages from the mirror directly`);
}

/** Stop a daemon: SIGTERM, then SIGKILL when it is still there after a while. */
export async function stop(pid: number): Promise<void> {
  // Gone, or a zombie its parent has not reaped yet.
  const alive = () => {
    try {
      return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      return false;
    }
  };
  const send = (sig: NodeJS.Signals) => {
    try {
      if (alive()) process.kill(pid, sig);
    } catch {
      // gone meanwhile
    }
  };
  send('SIGTERM');
  let deadline = Date.now() + STOP_WAIT_MS;
  while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  send('SIGKILL');
  deadline = Date.now() + STOP_WAIT_MS;
  while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

/**
 * The package's own user, when the daemon's folders are reachable by it (every folder above
 * them searchable by others); else undefined and it runs as root.
 */
function unprivilegedUser(cache: PackageCache): { uid: number; gid: number } | undefined {
  const entry = readFileSync('/etc/passwd', 'utf8').split('\n').map((l) => l.split(':')).find((f) => f[0] === USER);
  if (!entry) return undefined;
  for (const start of [cache.varDir, cache.cacheDir]) {
    for (let dir = dirname(start); ; dir = dirname(dir)) {
      if (existsSync(dir) && !(statSync(dir).mode & 0o001)) return undefined;
      if (dir === '/') break;
    }
  }
  return { uid: Number(entry[2]), gid: Number(entry[3]) };
}

/** For the test's clean-up and for operators: stop the cache of a network and remove its files. */
export async function removePackageCache(cache: PackageCache): Promise<void> {
  const pid = runningPid(cache);
  if (pid) await stop(pid);
  rmSync(cache.dir, { recursive: true, force: true });
  rmSync(cache.cacheDir, { recursive: true, force: true });
}

const revived = new Set<string>();

/**
 * Start the cache again when it stopped since the host was last prepared (a lift prepares
 * nothing): once per process and network, under the host lock. Cheap when it runs.
 */
export async function reviveIfStopped(site: Site): Promise<void> {
  const cache = site.packageCache;
  const key = preparationKey(site);
  if (!cache || revived.has(key)) return;
  revived.add(key);
  if (runningPid(cache) || !existsSync(ACNG) || !existsSync(`/sys/class/net/${site.net.bridge}`)) return;
  try {
    await withLock(site.hostLock, () => ensurePackageCache(site));
  } catch (err) {
    site.log(`local: package cache: ${(err as Error).message}`);
  }
}
