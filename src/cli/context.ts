// What every command shares: the stack file, progress printing and Ctrl-C.
import { setMaxListeners } from 'node:events';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '../errors.ts';
import { loadConfig } from '../config/load.ts';
import { DEFAULT_CONFIG_FILE, type StackConfig } from '../config/define.ts';
import { releaseHeldLocks, type OperationOptions } from '../engine/operation.ts';
import { keptTransport, sessionsSettings } from '../transport/kept/index.ts';
import { Reporter } from './progress/reporter.ts';
import { isLive, paintFor } from './progress/terminal.ts';
import { PER_NODE_UP_TO, ProgressView } from './progress/view.ts';

export interface CommonFlags {
  file?: string;
  json?: boolean;
  /** -q: only errors and the result. */
  quiet?: boolean;
  /** -v: a line per node, each node's script and each action's output. */
  verbose?: boolean;
}

/** The progress of this process's operation (the CLI runs one), for lines of its own and the exit path. */
let progress: Reporter | undefined;

/** A line on stderr, above the live view when there is one. */
export function say(line: string): void {
  if (progress) progress.say(line);
  else process.stderr.write(`${line}\n`);
}

/** Print what progress is still open and clear the live view (before an error is printed). */
export function finishProgress(): void {
  progress?.finish();
}

/** Progress on stderr: a live view on a terminal, plain lines when piped or in CI. */
export function reporter(flags: Pick<CommonFlags, 'verbose'>, stream: NodeJS.WriteStream = process.stderr): Reporter {
  const live = isLive(stream);
  const view = new ProgressView({ paint: paintFor(stream), live, verbose: flags.verbose ?? false, perNodeUpTo: PER_NODE_UP_TO });
  return new Reporter(view, stream, live);
}

/** How long a quit waits for the stack lock to be released. */
const QUIT_RELEASE_MS = 10_000;

/**
 * First Ctrl-C (or SIGTERM) stops the operation cleanly; a second one quits at once, but
 * releases the stack lock first (bounded in time: a lock in the cloud would otherwise stay);
 * a third exits without waiting for that.
 */
export function interruptSignal(): AbortSignal {
  const controller = new AbortController();
  // Every node at work listens to it (up to `concurrency` at once): not a leak, and Node's
  // warning about it would land in the middle of the live view.
  setMaxListeners(0, controller.signal);
  // One listener for good: removing and adding signal listeners can drop a signal that arrives in between.
  let presses = 0;
  const onSignal = () => {
    presses++;
    if (presses === 1) {
      if (!progress) process.stderr.write('\n');
      say('stopping (Ctrl-C again to quit at once)…');
      controller.abort();
    } else if (presses === 2) void quit();
    else process.exit(130);
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  return controller.signal;
}

async function quit(): Promise<never> {
  say('quitting: releasing the stack lock…');
  let timer: NodeJS.Timeout | undefined;
  const released = await Promise.race([
    releaseHeldLocks().then(() => true),
    new Promise<boolean>((done) => (timer = setTimeout(() => done(false), QUIT_RELEASE_MS))),
  ]);
  clearTimeout(timer);
  if (!released) process.stderr.write(`forklift: the stack lock was not released within ${QUIT_RELEASE_MS / 1000} s; if it stays, run forklift unlock\n`);
  process.exit(130);
}

export async function prepare(flags: CommonFlags): Promise<{ stack: StackConfig; options: OperationOptions }> {
  const stack = await loadStack(flags.file);
  const options: OperationOptions = { signal: interruptSignal() };
  // SSH sessions kept between runs by a per-user daemon, unless FORKLIFT_SESSIONS=off (or CI).
  const sessions = sessionsSettings();
  if (sessions.enabled) {
    options.transport = keptTransport({ paths: sessions.paths, idleMs: sessions.idleMs, onFallback: (why) => say(`forklift: kept sessions unavailable (${why}); connecting directly`) });
  }
  if (!flags.quiet) {
    const shown = reporter(flags);
    progress = shown;
    options.onEvent = (e) => shown.event(e);
    if (flags.verbose) options.scripts = true;
  }
  return { stack, options };
}

/** The stack file; the one a user forgot to make says how to make it. */
export async function loadStack(file = DEFAULT_CONFIG_FILE): Promise<StackConfig> {
  if (file === DEFAULT_CONFIG_FILE && !existsSync(resolve(file))) {
    throw new ConfigError(file, 'not found in this folder; run `forklift init` to make one, or name a stack file with -f FILE');
  }
  return loadConfig(file);
}
