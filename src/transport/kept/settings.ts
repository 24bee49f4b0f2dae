// Whether the CLI keeps sessions, and for how long, from the environment:
//   FORKLIFT_SESSIONS=off|on      default on, but off where CI is set (a one-shot job
//                                 should leave no process behind; =on keeps them there too)
//   FORKLIFT_SESSIONS_IDLE=10m    the daemon's idle expiry (s, m or h; a bare number is seconds)
//   FORKLIFT_SESSIONS_DIR=PATH    where its socket, pid file and log live (paths.ts)
import { UsageError } from '../../errors.ts';
import { sessionsPaths, type SessionsPaths } from './paths.ts';

export const DEFAULT_IDLE_MS = 10 * 60_000;

export interface SessionsSettings {
  enabled: boolean;
  idleMs: number;
  paths: SessionsPaths;
}

const OFF = new Set(['off', '0', 'no', 'false']);
const ON = new Set(['on', '1', 'yes', 'true']);

/** "90s", "10m", "1h" or "600" (seconds), as ms; undefined when it is none of those. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|h)?$/.exec(text.trim());
  if (!m) return undefined;
  const ms = Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 's' | 'm' | 'h'];
  return ms >= 1000 ? Math.round(ms) : undefined;
}

export function sessionsSettings(env: NodeJS.ProcessEnv = process.env): SessionsSettings {
  const value = (env['FORKLIFT_SESSIONS'] ?? '').trim().toLowerCase();
  if (value && !OFF.has(value) && !ON.has(value)) throw new UsageError(`FORKLIFT_SESSIONS must be on or off, not ${JSON.stringify(env['FORKLIFT_SESSIONS'])}`);
  const ci = (env['CI'] ?? '').trim().toLowerCase();
  const enabled = value ? ON.has(value) : !ci || OFF.has(ci);
  const idleText = env['FORKLIFT_SESSIONS_IDLE'];
  const idleMs = idleText ? parseDuration(idleText) : DEFAULT_IDLE_MS;
  if (idleMs === undefined) throw new UsageError(`FORKLIFT_SESSIONS_IDLE must be a duration of at least 1 s, like 90s, 10m or 1h, not ${JSON.stringify(idleText)}`);
  return { enabled, idleMs, paths: sessionsPaths(env) };
}
