// nginx crate: a static site, enabled in place of Debian's default site.
// The config is tested with `nginx -t` before nginx reloads.
import { z } from 'zod';
import { absent } from '../actions/absent.ts';
import { directory } from '../actions/directory.ts';
import { execChecked } from '../actions/exec.ts';
import { file } from '../actions/file.ts';
import { packages } from '../actions/package.ts';
import { service } from '../actions/service.ts';
import { symlink } from '../actions/symlink.ts';
import { action, defineAction } from '../actions/types.ts';
import { sh } from '../shell/sh.ts';
import { parseSpec, schemaOnce } from '../validate.ts';
import { plan, type Plan, type PlanContext } from '../spec/plan.ts';
import { serverSpec, type ServerSpec } from '../spec/server.ts';

const siteName = schemaOnce(() => z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/, 'lowercase letters, digits, _ . -'));

const siteSettings = z
  .object({
    port: z.number().int().min(1).max(65535).default(80),
    /** Document root (default /var/www/<site>). */
    root: z.string().regex(/^\//, 'must be an absolute path').optional(),
    /** index.html content; a function gets the plan context (e.g. to name the node). */
    index: z.union([z.string(), z.custom<(ctx: PlanContext) => string>((v) => typeof v === 'function')]).optional(),
  })
  .strict();

export type SiteSettings = z.input<typeof siteSettings>;

export function renderSite(name: string, port: number, root: string): string {
  return `server {\n  listen ${port} default_server;\n  listen [::]:${port} default_server;\n  server_name _;\n  root ${root};\n  index index.html;\n  location / {\n    try_files $uri $uri/ =404;\n  }\n}\n# site ${name}, written by forklift\n`;
}

/** Install nginx and serve a static site as the default server on `port`. */
export function site(name: string, settings: SiteSettings = {}): Plan {
  const site = parseSpec(siteName(), name, 'nginx.site');
  const s = parseSpec(siteSettings, settings, `nginx.site ${site}`);
  const root = s.root ?? `/var/www/${site}`;
  const available = `/etc/nginx/sites-available/${site}`;
  return plan(packages('nginx'), directory(root, { mode: '0755' }), (ctx: PlanContext) => {
    const conf = file(available, { content: renderSite(site, s.port, root), mode: '0644' });
    const link = symlink(`/etc/nginx/sites-enabled/${site}`, available);
    const noDefault = absent('/etc/nginx/sites-enabled/default');
    const index = s.index === undefined ? undefined : file(`${root}/index.html`, { content: typeof s.index === 'function' ? s.index(ctx) : s.index, mode: '0644' });
    const changed = [conf, link, noDefault];
    return [
      conf,
      link,
      noDefault,
      index,
      execChecked('nginx -t', 'nginx -t -q', { onChangeOf: changed }),
      service('nginx', { enabled: true, state: 'started' }),
      service('nginx', { state: 'reloaded', onChangeOf: changed }),
    ];
  });
}

/**
 * The health check a rolling run waits for (its `health` phase): the site answers HTTP
 * 2xx/3xx on the node itself, tried every half second for up to `timeoutSeconds` (default 30).
 * Read-only: it reports ok when healthy and fails the node when not.
 */
export function health(settings: { port?: number; path?: string; timeoutSeconds?: number } = {}): Plan {
  const s = parseSpec(healthSettings, settings, 'nginx.health');
  const url = `http://127.0.0.1:${s.port}${s.path}`;
  return plan(packages('curl'), action(healthAction, `healthy ${url}`, { url, tries: s.timeoutSeconds * 2 }));
}

const healthSettings = z
  .object({
    port: z.number().int().min(1).max(65535).default(80),
    path: z.string().regex(/^\/[A-Za-z0-9._~\/-]*$/, 'a path such as /health').default('/'),
    timeoutSeconds: z.number().int().min(1).max(600).default(30),
  })
  .strict();

const healthAction = defineAction<{ url: string; tries: number }>({
  kind: 'http-healthy',
  render({ url, tries }) {
    return [{
      check: sh`i=0; while [ "$i" -lt ${String(tries)} ]; do curl -fsS -o /dev/null --max-time 2 ${url} && exit 0; sleep 0.5; i=$((i+1)); done; exit 1`,
      apply: sh`echo "not healthy: "${url}" did not answer 2xx/3xx" >&2; exit 1`,
    }];
  },
});

/** configure runs nginx.site; health (what a rolling run waits for) runs nginx.health on its port. */
export function server(name: string, settings: SiteSettings = {}): ServerSpec {
  return serverSpec({ phases: { configure: site(name, settings), health: health({ port: settings.port ?? 80 }) } });
}
