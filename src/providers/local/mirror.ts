// The host's Debian mirror and suites, read at run time (never hard-coded).
import { existsSync, readFileSync } from 'node:fs';
import { ProviderError } from '../../errors.ts';

export interface AptSource {
  uri: string;
  suites: string[];
  components: string[];
  signedBy?: string;
}

const DEB822 = '/etc/apt/sources.list.d/debian.sources';
const LEGACY = '/etc/apt/sources.list';

export function hostAptSources(): AptSource[] {
  const sources = existsSync(DEB822) ? parseDeb822(readFileSync(DEB822, 'utf8')) : [];
  if (sources.length === 0 && existsSync(LEGACY)) sources.push(...parseLegacy(readFileSync(LEGACY, 'utf8')));
  if (sources.length === 0) throw new ProviderError('local', `no Debian mirror found in ${DEB822} or ${LEGACY}`);
  return sources;
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
