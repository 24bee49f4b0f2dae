// download: a file on the node fetched from a URL with the node's curl, verified by its
// SHA-256 (required: the hash is what makes it idempotent without a network round trip).
// Check: the file has that hash. Apply: fetch to a private temp file beside it, verify,
// set owner/group/mode, then rename over the old one.
import { posix } from 'node:path';
import { z } from 'zod';
import { lines, quote, raw, Secret, sh } from '../shell/sh.ts';
import { parseSpec, schemaOnce } from '../validate.ts';
import { normalMode, ownershipSchema, ownershipSteps, type Ownership } from './ownership.ts';
import { action, defineAction, type Action } from './types.ts';

const pathInput = schemaOnce(() => z.object({ path: z.string().regex(/^\/.*[^/]$/, 'must be an absolute path to a file') }));

export interface DownloadArgs extends Ownership {
  path: string;
  url: string | Secret;
  sha256: string;
}

const httpUrl = z.string().refine((u) => URL.canParse(u) && ['http:', 'https:'].includes(new URL(u).protocol), 'must be an http:// or https:// URL');

const downloadSchema = z
  .object({
    /** http(s) URL; `secret(url)` for one that carries a token (shown as ***, kept out of the node's process list). */
    url: z.union([httpUrl, z.instanceof(Secret).refine((s) => httpUrl.safeParse(s.value).success, 'must be an http:// or https:// URL')]),
    sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex digits').transform((s) => s.toLowerCase()),
    ...ownershipSchema,
  })
  .strict();

export type DownloadOptions = z.input<typeof downloadSchema>;

const NO_CURL = 'curl is not installed on the node: add packages(\'curl\') before this action';

export const downloadAction = defineAction<DownloadArgs>({
  kind: 'download',
  render(args) {
    const { path, url, sha256 } = args;
    const tmp = `${path}.forklift-download`;
    const shown = url instanceof Secret ? '***' : url;
    // A secret URL reaches curl as its config on stdin, not as an argument other users could read with ps.
    const fetch =
      url instanceof Secret
        ? sh`printf '%s\\n' ${new Secret(`url = "${url.value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`)} | curl -fsSL --retry 3 -K - -o ${tmp}`
        : sh`curl -fsSL --retry 3 -o ${tmp} ${url}`;
    const apply = lines(
      sh`command -v curl >/dev/null || { echo ${NO_CURL} >&2; exit 3; }`,
      sh`trap ${`rm -f ${quote(tmp)}`} EXIT`,
      sh`mkdir -p ${posix.dirname(path)}`,
      raw('umask 077'),
      fetch,
      sh`fl_got=$(sha256sum <${tmp})`,
      sh`if [ "$fl_got" != ${`${sha256}  -`} ]; then echo ${`${shown} has sha256`} "\${fl_got%% *}, expected" ${sha256} >&2; exit 3; fi`,
      args.owner !== undefined ? sh`chown ${args.owner} ${tmp}` : undefined,
      args.group !== undefined ? sh`chgrp ${args.group} ${tmp}` : undefined,
      args.mode !== undefined ? sh`chmod ${normalMode(args.mode)} ${tmp}` : sh`if [ -e ${path} ]; then chmod "$(stat -c %a ${path})" ${tmp}; else chmod 644 ${tmp}; fi`,
      sh`mv -f ${tmp} ${path}`,
    );
    return [{ check: sh`[ "$(sha256sum <${path} 2>/dev/null)" = ${`${sha256}  -`} ]`, apply }, ...ownershipSteps(path, args)];
  },
});

/** A file fetched from `url` onto the node (with the node's curl), verified by `sha256`. */
export function download(path: string, options: DownloadOptions): Action<DownloadArgs> {
  const { path: p } = parseSpec(pathInput(), { path }, 'download');
  const o = parseSpec(downloadSchema, options, `download ${p}`);
  return action(downloadAction, `download ${p}`, { path: p, ...o });
}
