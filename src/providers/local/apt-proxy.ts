// A node's side of the package cache: apt asks a small script which proxy to use for each
// server (Proxy-Auto-Detect, once per server per apt run). For the node's own Debian
// mirrors it answers the host's package cache while that accepts connections, and DIRECT
// otherwise; every other server (an aptRepository's) is reached directly. So a node keeps
// installing when the cache is down (it is started again by the next host preparation),
// and a node made before the cache existed simply has no such files.
import { quote } from '../../shell/sh.ts';
import type { PackageCache } from './package-cache-paths.ts';

export const APT_CONF = 'etc/apt/apt.conf.d/00forklift-package-cache';
export const PROXY_SCRIPT = 'usr/local/lib/forklift/apt-proxy';

export interface AptProxyFiles {
  /** Path in the node → [content, mode]. */
  [path: string]: [string, number];
}

/** The files that send a node's apt through `cache` for the mirrors `origins` (`http://host[:port]`). */
export function aptProxyFiles(cache: PackageCache, origins: readonly string[]): AptProxyFiles {
  if (origins.length === 0) return {};
  const proxy = `http://${cache.address}:${cache.port}`;
  const script = [
    '#!/bin/sh',
    `# forklift: apt runs this to pick the proxy for URL $1: the package cache on the host (${proxy})`,
    '# for this node\'s Debian mirrors while it accepts connections, else DIRECT.',
    'case $1 in',
    `  ${origins.map((o) => `${quote(`${o}/`)}*`).join('|')}) ;;`,
    '  *) echo DIRECT; exit 0 ;;',
    'esac',
    `if timeout 5 bash -c ${quote(`exec 3<>/dev/tcp/${cache.address}/${cache.port}`)} 2>/dev/null; then echo ${proxy}; else echo DIRECT; fi`,
    '',
  ].join('\n');
  const conf = [
    `// forklift: packages from this node's Debian mirrors come through the host's package cache (${proxy}),`,
    '// or straight from the mirror when it does not answer. Remove this file to always go straight.',
    `Acquire::http::Proxy-Auto-Detect "/${PROXY_SCRIPT}";`,
    '',
  ].join('\n');
  return { [APT_CONF]: [conf, 0o644], [PROXY_SCRIPT]: [script, 0o755] };
}
