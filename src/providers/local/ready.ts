// Host preparation once per process: every create waits on one shared preparation per
// host setup (network, state folder), which is started again only after it failed, or
// after it finished and the bridge has gone since (someone removed it). A preparation
// still in flight is never started twice, whatever the host looks like meanwhile.
import { bridgeExists, prepareHost } from './host.ts';
import { requireLxcSupport, requireRoot } from './preflight.ts';
import { preparationKey, type Site } from './site.ts';

interface Preparation {
  promise: Promise<void>;
  done: boolean;
}

const preparations = new Map<string, Preparation>();

export function ready(site: Site): Promise<void> {
  const key = preparationKey(site);
  const known = preparations.get(key);
  if (known && !(known.done && !bridgeExists(site))) return known.promise;
  try {
    requireRoot();
    requireLxcSupport();
  } catch (error) {
    return Promise.reject(error);
  }
  const prep: Preparation = { promise: prepareHost(site), done: false };
  preparations.set(key, prep);
  prep.promise.then(
    () => (prep.done = true),
    () => preparations.get(key) === prep && preparations.delete(key),
  );
  return prep.promise;
}
