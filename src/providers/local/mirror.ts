// The host's Debian mirror and suites, read at run time (never hard-coded).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProviderError } from '../../errors.ts';

export interface AptSource {
  uri: string;
  suites: string[];
  components: string[];
  signedBy?: string;
}

const DEB822 = 'etc/apt/sources.list.d/debian.sources';
const LEGACY = 'etc/apt/sources.list';

export function hostAptSources(): AptSource[] {
  const sources = aptSourcesIn('/');
  if (sources.length === 0) throw new ProviderError('local', `no Debian mirror found in /${DEB822} or /${LEGACY}`);
  return sources;
}

/** The Debian sources of the system whose root is `root` (the host's, or an image's rootfs); none when it has none. */
export function aptSourcesIn(root: string): AptSource[] {
  const [deb822, legacy] = [join(root, DEB822), join(root, LEGACY)];
  const sources = existsSync(deb822) ? parseDeb822(readFileSync(deb822, 'utf8')) : [];
  if (sources.length === 0 && existsSync(legacy)) sources.push(...parseLegacy(readFileSync(legacy, 'utf8')));
  return sources;
}

/** The plain-http origins (`http://host[:port]`) of `sources`: what an HTTP package cache can serve. */
export function httpOrigins(sources: readonly AptSource[]): string[] {
  const origins = new Set<string>();
  for (const s of sources) {
    try {
      const url = new URL(s.uri);
      if (url.protocol === 'http:') origins.add(url.origin);
    } catch {
      // not a URL apt could use either
    }
  }
  return [...origins].sort();
}

/** The mirror that serves `codename` itself (not -security / -updates). */
export function mainMirror(sources: AptSource[], hostCodename: string): string {
  const main = sources.find((s) => s.suites.includes(hostCodename)) ?? sources[0];
  if (!main) throw new ProviderError('local', 'no Debian mirror configured on the host');
  return main.uri;
}

/** deb822 sources for an image: the host's entries with the host's codename replaced by the image's. */
export function renderSources(sources: AptSource[], hostCodename: string, codename: string): string {
  return sources
    .map((s) =>
      [
        'Types: deb',
        `URIs: ${s.uri}`,
        `Suites: ${s.suites.map((x) => x.replace(hostCodename, codename)).join(' ')}`,
        `Components: ${s.components.join(' ')}`,
        ...(s.signedBy ? [`Signed-By: ${s.signedBy}`] : []),
      ].join('\n'),
    )
    .join('\n\n')
    .concat('\n');
}

export function hostCodename(): string {
  const release = existsSync('/etc/os-release') ? readFileSync('/etc/os-release', 'utf8') : '';
  return /^VERSION_CODENAME=(\S+)/m.exec(release)?.[1] ?? 'bookworm';
}

function parseDeb822(text: string): AptSource[] {
  const out: AptSource[] = [];
  for (const stanza of text.split(/\n\s*\n/)) {
    const field = (name: string) =>
      new RegExp(`^${name}:[ \\t]*(.*)$`, 'mi').exec(stanza)?.[1]?.trim();
    const types = field('Types') ?? '';
    const uri = field('URIs')?.split(/\s+/)[0];
    if (!uri || !types.split(/\s+/).includes('deb') || /^Enabled:\s*no/im.test(stanza)) continue;
    out.push({
      uri,
      suites: (field('Suites') ?? '').split(/\s+/).filter(Boolean),
      components: (field('Components') ?? 'main').split(/\s+/).filter(Boolean),
      signedBy: field('Signed-By'),
    });
  }
  return out;
}

function parseLegacy(text: string): AptSource[] {
  const out: AptSource[] = [];
  for (const line of text.split('\n')) {
    const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)\s+(.*)$/.exec(line.trim());
    if (m) out.push({ uri: m[1]!, suites: [m[2]!], components: m[3]!.split(/\s+/).filter(Boolean) });
  }
  return out;
}
