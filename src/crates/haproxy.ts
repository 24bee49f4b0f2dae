// haproxy crate: a load balancer whose backend lists nodes found at plan time.
// The config is checked with `haproxy -c` before it replaces the old one, and
// haproxy reloads only when the config changed.
import { z } from 'zod';
import { file } from '../actions/file.ts';
import { packages } from '../actions/package.ts';
import { service } from '../actions/service.ts';
import { execChecked } from '../actions/exec.ts';
import type { Action } from '../actions/types.ts';
import { sh } from '../shell/sh.ts';
import { compareText } from '../text.ts';
import { parseSpec, schemaOnce } from '../validate.ts';
import { plan, resolveNodes, type NodeRef, type Nodes, type Plan, type PlanContext } from '../spec/plan.ts';
import { serverSpec, type ServerSpec } from '../spec/server.ts';

const backendName = schemaOnce(() => z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . -'));

export const CONFIG_PATH = '/etc/haproxy/haproxy.cfg';

const backendSettings = z
  .object({
    servers: z.custom<Nodes>((v) => Array.isArray(v) || (typeof v === 'object' && v !== null && 'role' in v), 'must be nodes or nodesWithRole(...)'),
    /** Port the servers listen on. */
    port: z.number().int().min(1).max(65535),
    /** Port haproxy listens on (default 80). */
    listenPort: z.number().int().min(1).max(65535).default(80),
    mode: z.enum(['http', 'tcp']).default('http'),
    balance: z.enum(['roundrobin', 'leastconn', 'source']).default('roundrobin'),
  })
  .strict();

export type BackendSettings = z.input<typeof backendSettings>;

/** The haproxy.cfg text for one frontend and its backend; servers sorted so the file is stable. */
export function renderConfig(name: string, s: z.output<typeof backendSettings>, servers: readonly NodeRef[]): string {
  const lines = [
    'global',
    '  log /dev/log local0',
    '  maxconn 4096',
    '  user haproxy',
    '  group haproxy',
    '',
    'defaults',
    `  mode ${s.mode}`,
    '  log global',
    '  timeout connect 5s',
    '  timeout client 30s',
    '  timeout server 30s',
    ...(s.mode === 'http' ? ['  option forwardfor', '  option http-server-close'] : []),
    '',
    // Local stats, read by the wait-for-backends step; bound to loopback only.
    'listen stats',
    '  bind 127.0.0.1:8404',
    '  mode http',
    '  stats enable',
    '  stats uri /stats',
    '',
    `frontend ${name}`,
    `  bind *:${s.listenPort}`,
    `  default_backend ${name}`,
    '',
    `backend ${name}`,
    `  balance ${s.balance}`,
    ...[...servers].sort((a, b) => compareText(a.name, b.name)).map((n) => `  server ${n.name} ${n.address}:${s.port} check inter 1s fall 2 rise 1`),
    '',
  ];
  return lines.join('\n');
}

/** Install haproxy and balance `servers` as backend `name` (Pallet's haproxy/add-backend). */
export function addBackend(name: string, settings: BackendSettings): Plan {
  const backend = parseSpec(backendName(), name, 'haproxy.addBackend');
  const s = parseSpec(backendSettings, settings, `haproxy.addBackend ${backend}`);
  return plan(packages('haproxy'), (ctx: PlanContext) => {
    const config = file(CONFIG_PATH, { content: renderConfig(backend, s, resolveNodes(ctx, s.servers)), mode: '0644', validate: 'haproxy -c -q -f %s' });
    return [
      config,
      service('haproxy', { enabled: true, state: 'started' }),
      service('haproxy', { state: 'reloaded', onChangeOf: [config] }),
      waitForBackends(backend, [config]),
    ];
  });
}

/**
 * After a config change, wait (up to 30 s) until haproxy's health checks see every
 * server of the backend UP, so that a converge ends with a farm that serves from all
 * nodes. Servers still down after that are reported on stderr, not as a failure:
 * the lb itself is configured.
 */
function waitForBackends(backend: string, after: Action[]): Action {
  return execChecked(
    `wait for backend ${backend}`,
    sh`fl_b=${backend}
i=0
while [ "$i" -lt 60 ]; do
  if csv=$(curl -fsS 'http://127.0.0.1:8404/stats;csv' 2>/dev/null); then
    down=$(printf '%s\n' "$csv" | awk -F, -v b="$fl_b" '$1==b && $2!="BACKEND" && $2!="FRONTEND" && $18!~/^UP/ {print $2}')
    [ -z "$down" ] && exit 0
  fi
  sleep 0.5; i=$((i+1))
done
echo "backend $fl_b: not UP after 30 s: $(echo $down)" >&2`,
    { onChangeOf: after },
  );
}

/** A server spec whose configure phase runs addBackend (the crate's server-spec). */
export function server(name: string, settings: BackendSettings): ServerSpec {
  return serverSpec({ phases: { configure: addBackend(name, settings) } });
}
