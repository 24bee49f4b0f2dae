import { Command, InvalidArgumentError } from 'commander';
import { ForkliftError } from '../../errors.ts';
import { daemonStatus, parseDuration, serve, sessionsSettings, stopDaemon, type DaemonStatus } from '../../transport/kept/index.ts';
import { printJson } from '../output.ts';

const seconds = (ms: number) => (ms >= 60_000 && ms % 60_000 === 0 ? `${ms / 60_000}m` : `${Math.round(ms / 1000)}s`);

function formatStatus(s: DaemonStatus, socket: string): string {
  const up = seconds(Date.now() - Date.parse(s.startedAt));
  const lines = [`kept sessions: daemon pid ${s.pid}, up ${up}, idle expiry ${seconds(s.idleMs)}, ${s.connections.length} connection${s.connections.length === 1 ? '' : 's'} (${socket})`];
  for (const c of s.connections) lines.push(`  ${c.node}  ${c.user}@${c.host}:${c.port}  ${c.users ? 'in use' : `idle ${seconds(c.idleMs)}`}  reused ${c.reused}×`);
  return `${lines.join('\n')}\n`;
}

export function sessionsCommand(): Command {
  const status = new Command('status')
    .description('the daemon holding SSH sessions between runs, and its connections (the default)')
    .option('--json', 'print the status as JSON (null when no daemon runs)')
    .action(async (flags: { json?: boolean }) => {
      const { paths } = sessionsSettings();
      const s = await daemonStatus(paths);
      if (flags.json) return printJson(s ?? null);
      process.stdout.write(s ? formatStatus(s, paths.socket) : 'kept sessions: no daemon is running\n');
    });
  const stop = new Command('stop').description('close the kept SSH sessions and stop the daemon').action(async () => {
    const { paths } = sessionsSettings();
    process.stdout.write((await stopDaemon(paths)) ? 'kept sessions: stopped the daemon\n' : 'kept sessions: no daemon is running\n');
  });
  const serveCmd = new Command('serve')
    .description('run the daemon in the foreground (the CLI starts it on its own when needed)')
    .option('--idle <duration>', 'exit after this long without a CLI (90s, 10m, 1h)', (v: string) => {
      const ms = parseDuration(v);
      if (ms === undefined) throw new InvalidArgumentError(`${JSON.stringify(v)} is not a duration like 90s, 10m or 1h`);
      return ms;
    })
    .action(async (flags: { idle?: number }) => {
      const settings = sessionsSettings();
      const log = (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);
      try {
        await serve({ paths: settings.paths, idleMs: flags.idle ?? settings.idleMs, log });
      } catch (error) {
        throw new ForkliftError(`kept sessions: ${(error as Error).message}`, 'SESSIONS');
      }
      process.exit(0);
    });
  return new Command('sessions')
    .description('the SSH sessions kept between runs (FORKLIFT_SESSIONS=off: connect directly)')
    .addCommand(status, { isDefault: true })
    .addCommand(stop)
    .addCommand(serveCmd);
}
