// aptRepository: a deb822 source (/etc/apt/sources.list.d/<name>.sources) signed by a
// key stored armored in /etc/apt/keyrings/<name>.asc (apt reads .asc without gpg on the
// node), and `apt-get update` whenever the source or the key changed. It is a barrier:
// packages placed after it install after it, so they can come from it.
import { z } from 'zod';
import { SpecError } from '../errors.ts';
import { lines, quote, raw, sh, type Cmd } from '../shell/sh.ts';
import { parseSpec, schemaOnce } from '../validate.ts';
import { fileAction } from './file.ts';
import { APT_WAITING } from './package.ts';
import { localPath, localSource, readLocal } from './local-file.ts';
import { asArmoredKey, KEY_PACKET_FIRST_BYTES } from './openpgp.ts';
import { action, defineAction, type Action, type Step } from './types.ts';

const nameInput = schemaOnce(() => z.object({ name: z.string().regex(/^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/, 'letters, digits, _ . - (apt ignores other file names)') }));

export interface AptRepositoryArgs {
  name: string;
  /** The deb822 stanza, without Signed-By. */
  fields: Array<[string, string]>;
  /** The armored key (read from a local file), or the URL the node fetches it from. */
  key: { armored: string } | { url: string };
}

const word = z.string().regex(/^[^\s#]+$/, 'must be one word');
const words = z.union([word, z.array(word).min(1)]).transform((w) => (Array.isArray(w) ? w : [w]));
const httpUrl = (u: string) => /^https?:\/\//.test(u);

const repositorySchema = z
  .object({
    /** Where the repository is: http(s), file:, or any URI apt supports. */
    uris: z.union([z.string().regex(/^[a-z][a-z0-9+.-]*:[^\s]+$/, 'must be a URI'), z.array(z.string().regex(/^[a-z][a-z0-9+.-]*:[^\s]+$/, 'must be a URI')).min(1)]).transform((w) => (Array.isArray(w) ? w : [w])),
    /** Distributions (`bookworm`, `stable`), or one exact path ending in `/` (a flat repository, no components). */
    suites: words,
    components: words.optional(),
    types: z.array(z.enum(['deb', 'deb-src'])).min(1).optional(),
    architectures: words.optional(),
    /** The signing key: a local file (absolute path or file: URL), read now, or an http(s) URL the node fetches. */
    key: localSource,
  })
  .strict()
  .superRefine((o, ctx) => {
    if (!Array.isArray(o.suites)) return; // already refused
    const flat = o.suites.some((s) => s.endsWith('/'));
    if (flat && o.components) ctx.addIssue({ code: 'custom', path: ['components'], message: 'a suite that is a path (ends in /) takes no components' });
    if (!flat && !o.components) ctx.addIssue({ code: 'custom', path: ['components'], message: 'required unless the suite is a path ending in /' });
  });

export type AptRepositoryOptions = z.input<typeof repositorySchema>;

const STAMPS = '/var/lib/forklift/apt';

export const aptRepositoryAction = defineAction<AptRepositoryArgs>({
  kind: 'apt-repository',
  barrier: true,
  render(args, target) {
    const keyPath = `/etc/apt/keyrings/${args.name}.asc`;
    const sourcePath = `/etc/apt/sources.list.d/${args.name}.sources`;
    const fromUrl = 'url' in args.key ? args.key.url : undefined;
    const content = [fromUrl ? `# forklift: key from ${fromUrl}` : undefined, ...args.fields.map(([k, v]) => `${k}: ${v}`), `Signed-By: ${keyPath}`]
      .filter((l) => l !== undefined)
      .join('\n');
    const keySteps: Step[] = 'armored' in args.key ? fileAction.render({ path: keyPath, content: args.key.armored, mode: '0644' }, target) : [fetchKey(fromUrl!, keyPath, sourcePath, args.name)];
    const stamp = `${STAMPS}/${args.name}.updated`;
    // apt-get update is due when the source or the key differ from what it last ran with;
    // the stamp is written only after it succeeded, so a failed update is retried next run.
    const digest = sh`cat ${sourcePath} ${keyPath} | sha256sum`;
    const update: Step = {
      check: sh`[ "$(cat ${stamp} 2>/dev/null)" = "$(${digest})" ]`,
      // Error-Mode=any: a source apt cannot verify fails the update (apt only warns by default).
      apply: lines(raw(APT_WAITING), raw('fl_apt update -q -o APT::Update::Error-Mode=any'), sh`mkdir -p ${STAMPS}`, sh`${digest} >${stamp}`),
    };
    return [...keySteps, ...fileAction.render({ path: sourcePath, content: `${content}\n`, mode: '0644' }, target), update];
  },
});

/** Fetch the key on the node, refuse what is not an OpenPGP public key, store it armored. */
function fetchKey(url: string, keyPath: string, sourcePath: string, name: string): Step {
  const tmp = `${keyPath}.forklift-new`;
  const notKey = `${url} is not an OpenPGP public key`;
  const firstByte = KEY_PACKET_FIRST_BYTES.join('|');
  const apply: Cmd = lines(
    sh`command -v curl >/dev/null || { echo ${`curl is not installed on the node: aptRepository ${name} fetches its key with it`} >&2; exit 3; }`,
    sh`trap ${`rm -f ${quote(tmp)} ${quote(`${tmp}.bin`)}`} EXIT`,
    sh`mkdir -p /etc/apt/keyrings`,
    sh`curl -fsSL --retry 3 -o ${`${tmp}.bin`} ${url}`,
    sh`if grep -q -- '-----BEGIN PGP PRIVATE KEY BLOCK-----' ${`${tmp}.bin`}; then echo ${`${url} is a private key; apt needs the public key`} >&2; exit 3`,
    sh`elif [ "$(sed -n '/[^[:space:]]/{p;q;}' ${`${tmp}.bin`} | tr -d '\\r')" = '-----BEGIN PGP PUBLIC KEY BLOCK-----' ]; then cp ${`${tmp}.bin`} ${tmp}`,
    // A binary key is armored with base64 (coreutils), so no gpg is needed on the node.
    raw(`elif case "$(od -An -tx1 -N1 ${quote(`${tmp}.bin`)} | tr -d ' \\n')" in ${firstByte}) true ;; *) false ;; esac; then`),
    sh`  { echo '-----BEGIN PGP PUBLIC KEY BLOCK-----'; echo; base64 -w 64 ${`${tmp}.bin`}; echo '-----END PGP PUBLIC KEY BLOCK-----'; } >${tmp}`,
    sh`else echo ${notKey} '(neither armored nor a binary key packet)' >&2; exit 3; fi`,
    sh`chmod 644 ${tmp}`,
    sh`mv -f ${tmp} ${keyPath}`,
  );
  // Fetched once: again only when the source names another URL (or the key file is gone).
  return { check: sh`[ -s ${keyPath} ] && grep -qxF ${`# forklift: key from ${url}`} ${sourcePath}`, apply };
}

/** A deb822 apt source signed by `key`; `apt-get update` runs when it or the key changed. */
export function aptRepository(name: string, options: AptRepositoryOptions): Action<AptRepositoryArgs> {
  const { name: n } = parseSpec(nameInput(), { name }, 'aptRepository');
  const where = `aptRepository ${n}`;
  const o = parseSpec(repositorySchema, options, where);
  const fields: Array<[string, string]> = [
    ['Types', (o.types ?? ['deb']).join(' ')],
    ['URIs', o.uris.join(' ')],
    ['Suites', o.suites.join(' ')],
  ];
  if (o.components) fields.push(['Components', o.components.join(' ')]);
  if (o.architectures) fields.push(['Architectures', o.architectures.join(' ')]);
  return action(aptRepositoryAction, where, { name: n, fields, key: readKey(o.key, where) });
}

function readKey(key: string | URL, where: string): AptRepositoryArgs['key'] {
  const href = key instanceof URL ? key.href : key;
  if (httpUrl(href)) {
    if (!URL.canParse(href) || /\s/.test(href)) throw new SpecError(where, `key: ${JSON.stringify(href)} is not a URL`);
    return { url: href };
  }
  const path = localPath(key, where, 'key');
  const checked = asArmoredKey(readLocal(path, where, 'key'));
  if (!checked.ok) throw new SpecError(where, `key: ${path} ${checked.why}`);
  return { armored: checked.armored };
}
