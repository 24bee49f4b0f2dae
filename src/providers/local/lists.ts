// Package lists for new nodes, fetched once per run on the host instead of once per node.
// A node's first `apt-get update` costs ~2 s of CPU (decompressing and checking ~85 MB of
// lists); five nodes doing it at once on a small host cost more than the rest of their
// configure. So, with the package cache on, the first node a process creates from an image
// has the host run that update, with the image's own apt configuration and sources (apt's
// Dir= the image; through the package cache), into /var/cache/forklift/lists/<image>/; every
// node the process creates gets a copy of them (a copy, never a link: a node cannot change
// another's lists). A node's lists are thus as fresh as the run that made it; apt updates
// them as usual afterwards (and forklift's packages action updates and retries when an
// install fails on them). Each refresh is a new version folder, made from a linked copy of
// the last one so apt only fetches what changed; other processes read only complete ones.
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tail } from '../../text.ts';
import type { ImageFacts } from './image.ts';
import { withLock } from './lock.ts';
import { answers } from './package-cache.ts';
import type { Site } from './site.ts';

const LISTS_DIR = '/var/cache/forklift/lists';
const COMPLETE = '.complete';

const refreshed = new Map<string, Promise<string | undefined>>();

/** The folder of fresh package lists for nodes of `image` (refreshed once per process), or undefined when it could not be made. */
export function freshLists(site: Site, image: ImageFacts, rootfs: string): Promise<string | undefined> {
  const key = JSON.stringify([image.id, site.packageCache?.address, site.packageCache?.port]);
  let known = refreshed.get(key);
  if (!known) {
    known = withLock(join(LISTS_DIR, `${image.id}.lock`), () => refresh(site, image, rootfs));
    refreshed.set(key, known);
  }
  return known;
}

/** Complete versions of an image's lists, newest first. */
function versions(base: string): string[] {
  if (!existsSync(base)) return [];
  return readdirSync(base)
    .filter((name) => existsSync(join(base, name, COMPLETE)))
    .sort((a, b) => Number(b.split('-')[0]) - Number(a.split('-')[0]))
    .map((name) => join(base, name));
}

async function refresh(site: Site, image: ImageFacts, rootfs: string): Promise<string | undefined> {
  const base = join(LISTS_DIR, image.id);
  mkdirSync(base, { recursive: true, mode: 0o755 });
  // Under the lock, anything incomplete was left by a process that died while refreshing.
  const complete = new Set(versions(base));
  for (const name of readdirSync(base)) if (!complete.has(join(base, name))) await site.runner.run('rm', ['-rf', join(base, name)], { allowFail: true });
  const [previous] = complete;
  const next = join(base, `${Date.now()}-${process.pid}`);
  const conf = `${next}.apt.conf`;
  const cache = site.packageCache;
  try {
    if (previous) {
      await site.runner.run('cp', ['-al', previous, next]);
      rmSync(join(next, COMPLETE), { force: true });
    } else mkdirSync(join(next, 'partial'), { recursive: true, mode: 0o755 });
    writeFileSync(conf, [
      `Dir "${rootfs}/";`,
      `Dir::State::Lists "${next}/";`,
      // Only lists are wanted: no package caches, nothing written into the image.
      `Dir::Cache "${next}.cache/";`,
      'Dir::Cache::pkgcache "";',
      'Dir::Cache::srcpkgcache "";',
      ...(cache && (await answers(cache)) ? [`Acquire::http::Proxy "http://${cache.address}:${cache.port}";`] : []),
      '',
    ].join('\n'));
    // APT_CONFIG is read before any other configuration: the host's own apt settings stay out.
    const r = await site.runner.run('apt-get', ['-q', 'update'], { env: { APT_CONFIG: conf }, allowFail: true });
    if (r.code !== 0) throw new Error(`apt-get update exited with ${r.code}: ${tail(r.stderr || r.stdout, 3)}`);
    writeFileSync(join(next, COMPLETE), '');
  } catch (err) {
    await site.runner.run('rm', ['-rf', next], { allowFail: true });
    site.log(`local: could not fetch package lists for new nodes (${(err as Error).message}); each node fetches its own`);
    return undefined;
  } finally {
    rmSync(conf, { force: true });
    rmSync(`${next}.cache`, { recursive: true, force: true });
  }
  // Older versions go; the one before stays for a reader that picked it a moment ago.
  for (const old of versions(base).slice(2)) await site.runner.run('rm', ['-rf', old], { allowFail: true });
  return next;
}

/** Copy the lists into a node's overlay delta. */
export function copyLists(lists: string, delta: string): void {
  const into = join(delta, 'var/lib/apt/lists');
  mkdirSync(into, { recursive: true, mode: 0o755 });
  for (const name of readdirSync(lists)) {
    const from = join(lists, name);
    if (name === 'lock' || name.startsWith('.') || !statSync(from).isFile()) continue;
    copyFileSync(from, join(into, name));
  }
}
