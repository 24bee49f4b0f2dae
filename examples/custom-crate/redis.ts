// A custom crate in forklift's one crate shape (Pallet's crate/sudoers.clj):
//   settings  — a schema with defaults, validated once when the crate is used
//   install   — a plan that installs the software
//   configure — a plan that writes its configuration and keeps the service running
//   server    — a server spec with both phases, for a group's `extends`
import { z } from 'zod';
import { file, packages, parseSpec, plan, serverSpec, service, type Plan, type ServerSpec } from 'forklift';

export const CONFIG_PATH = '/etc/redis/redis.conf';

const settingsSchema = z
  .object({
    port: z.number().int().min(1).max(65535).default(6379),
    /** Addresses redis listens on. */
    bind: z.array(z.string().min(1)).min(1).default(['0.0.0.0']),
    /** e.g. "64mb"; redis evicts keys beyond it. */
    maxMemory: z.string().regex(/^\d+(kb|mb|gb)$/, 'a size such as 64mb').default('64mb'),
    maxMemoryPolicy: z.enum(['noeviction', 'allkeys-lru', 'volatile-lru', 'allkeys-random']).default('allkeys-lru'),
  })
  .strict();

/** What callers pass: every field optional. */
export type RedisSettings = z.input<typeof settingsSchema>;
/** What the plans use: defaults filled in. */
export type Settings = z.output<typeof settingsSchema>;

/** Defaults, then validation; a wrong field is a SpecError naming it. */
export function settings(input: RedisSettings = {}): Settings {
  return parseSpec(settingsSchema, input, 'redis settings');
}

export function renderConfig(s: Settings): string {
  return [
    `bind ${s.bind.join(' ')}`,
    `port ${s.port}`,
    `protected-mode ${s.bind.every((a) => a.startsWith('127.') || a === '::1') ? 'yes' : 'no'}`,
    'dir /var/lib/redis',
    'logfile /var/log/redis/redis-server.log',
    `maxmemory ${s.maxMemory}`,
    `maxmemory-policy ${s.maxMemoryPolicy}`,
    '# written by forklift (examples/custom-crate)',
    '',
  ].join('\n');
}

export function install(): Plan {
  return plan(packages('redis-server'));
}

export function configure(s: Settings): Plan {
  const conf = file(CONFIG_PATH, { content: renderConfig(s), owner: 'redis', group: 'redis', mode: '0640' });
  return plan(
    conf,
    service('redis-server', { enabled: true, state: 'started' }),
    // A handler: restart only when the configuration changed.
    service('redis-server', { state: 'restarted', onChangeOf: [conf] }),
  );
}

/** The crate's server spec: install and configure in the configure phase, port open. */
export function server(input: RedisSettings = {}): ServerSpec {
  const s = settings(input);
  return serverSpec({
    roles: ['redis'],
    phases: { configure: plan(install(), configure(s)) },
    nodeSpec: { network: { inboundPorts: [22, s.port] } },
  });
}
