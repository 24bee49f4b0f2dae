// Package lists for new nodes, fetched on the host instead of by each node. A node's first
// `apt-get update` costs ~2 s of CPU (decompressing and checking ~85 MB of lists); five
// nodes doing it at once on a small host cost more than the rest of their configure. So,
// with the package cache on, the host runs that update itself, with the image's own apt
// configuration and sources (apt's Dir= the image; through the package cache), into
// /var/cache/forklift/lists/<image>/<version>/, at most every 10 minutes (as Ansible's
// cache_valid_time), and every new node gets a copy (a copy, never a link: a node cannot
// change another's lists). apt updates them as usual afterwards (and forklift's packages
// action updates and retries when an install fails on them). Each refresh is a new version
// folder, made from a linked copy of the last one so apt only fetches what changed; readers
// take the newest complete one, and versions go an hour after a newer one is complete.
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tail } from '../../text.ts';
import type { ImageFacts } from './image.ts';
import { withLock } from './lock.ts';
import { answers } from './package-cache.ts';
import type { Site } from './site.ts';

const LISTS_DIR = '/var/cache/forklift/lists';
const COMPLETE = '.complete';
/** Lists younger than this are used as they are. */
export const LISTS_MAX_AGE_MS = 10 * 60_000;
/** A version replaced by a newer one stays this long, for a reader that picked it just before. */
const KEEP_MS = 60 * 60_000;

/** Refreshes in flight in this process, by image. */
const refreshing = new Map<string, Promise<void>>();

/** When a version was completed (0 when it is gone meanwhile). */
function completedAt(version: string): number {
  try {
    return statSync(join(version, COMPLETE)).mtimeMs;
  } catch {
    return 0;
  }
}

/** Complete versions of an image's lists, newest first. */
function versions(base: string): string[] {
  if (!existsSync(base)) return [];
  return readdirSync(base)
    .filter((name) => existsSync(join(base, name, COMPLETE)))
    .sort((a, b) => Number(b.split('-')[0]) - Number(a.split('-')[0]))
    .map((name) => join(base, name));
}

const fresh = (version: string | undefined) => version !== undefined && Date.now() - completedAt(version) < LISTS_MAX_AGE_MS;

/**
 * The folder of package lists for a new node of `image`: the newest version, refreshed
 * first when it is older than LISTS_MAX_AGE_MS; undefined when there is none.
 */
export async function freshLists(site: Site, image: ImageFacts, rootfs: string): Promise<string | undefined> {
  const base = join(LISTS_DIR, image.id);
  if (!fresh(versions(base)[0])) {
    let running = refreshing.get(image.id);
    if (!running) {
      running = withLock(join(LISTS_DIR, `${image.id}.lock`), () => refresh(site, base, rootfs)).finally(() => refreshing.delete(image.id));
      refreshing.set(image.id, running);
    }
    await running;
  }
  return versions(base)[0];
}

async function refresh(site: Site, base: string, rootfs: string): Promise<void> {
  mkdirSync(base, { recursive: true, mode: 0o755 });
  const [previous] = versions(base);
  if (fresh(previous)) return; // another process refreshed them meanwhile
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
    site.log(`local: could not fetch package lists for new nodes (${(err as Error).message}); ${previous ? 'they get the older ones' : 'each node fetches its own'}`);
  } finally {
    rmSync(conf, { force: true });
    rmSync(`${next}.cache`, { recursive: true, force: true });
  }
  // Under the lock, an incomplete version was left by a process that died refreshing; a
  // complete one that is not the newest goes an hour after it was replaced.
  const all = versions(base);
  const keep = new Set(all.filter((_, i) => i === 0 || Date.now() - completedAt(all[i - 1]!) < KEEP_MS));
  for (const name of readdirSync(base)) {
    const path = join(base, name);
    if (!keep.has(path)) await site.runner.run('rm', ['-rf', path], { allowFail: true });
  }
}

/**
 * Copy the lists into a node's overlay delta; false (and nothing copied) when they could not
 * be read whole (a version removed meanwhile): the node then fetches its own.
 */
export function copyLists(lists: string, delta: string): boolean {
  const into = join(delta, 'var/lib/apt/lists');
  const copied: string[] = [];
  try {
    mkdirSync(into, { recursive: true, mode: 0o755 });
    for (const name of readdirSync(lists)) {
      const from = join(lists, name);
      if (name === 'lock' || name.startsWith('.') || !statSync(from).isFile()) continue;
      copyFileSync(from, join(into, name));
      copied.push(join(into, name));
    }
    return true;
  } catch {
    for (const file of copied) rmSync(file, { force: true });
    return false;
  }
}
