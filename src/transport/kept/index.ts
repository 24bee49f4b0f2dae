// Kept sessions: SSH connections held between runs by a per-user daemon (README: "Kept sessions").
export { keptTransport, type KeptOptions } from './client.ts';
export { daemonStatus, stopDaemon } from './control.ts';
export { serve } from './daemon.ts';
export { sessionsPaths, type SessionsPaths } from './paths.ts';
export type { DaemonStatus, KeptConnectionStatus } from './protocol.ts';
export { DEFAULT_IDLE_MS, parseDuration, sessionsSettings, type SessionsSettings } from './settings.ts';
