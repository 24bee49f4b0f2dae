// How output looks where it goes: a live view on a terminal, plain lines when piped or in
// CI; colours on a terminal unless NO_COLOR or --no-color says otherwise.
import picocolors from 'picocolors';

export type Paint = ReturnType<typeof picocolors.createColors>;

export const paint = (enabled: boolean): Paint => picocolors.createColors(enabled);

export interface Stream {
  isTTY?: boolean;
  columns?: number;
  rows?: number;
}

/** Whether a stream gets the live view: a terminal that can move its cursor, outside CI. */
export function isLive(stream: Stream, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && !env['CI'] && env['TERM'] !== 'dumb';
}

/**
 * Whether a stream gets colours: never with NO_COLOR (https://no-color.org: set and not
 * empty) or --no-color; always with FORCE_COLOR (not 0); otherwise on a terminal.
 */
export function hasColor(stream: Stream, env: NodeJS.ProcessEnv = process.env, noColorFlag = false): boolean {
  if (noColorFlag || (env['NO_COLOR'] ?? '') !== '') return false;
  const force = env['FORCE_COLOR'];
  if (force !== undefined && force !== '') return force !== '0' && force !== 'false';
  return stream.isTTY === true && env['TERM'] !== 'dumb';
}

/** What the CLI decided for this process (--no-color is read before any command runs). */
let noColor = false;

export function setNoColor(value: boolean): void {
  noColor = value;
}

/** The paint for a standard stream of this process. */
export function paintFor(stream: Stream): Paint {
  return paint(hasColor(stream, process.env, noColor));
}

/** Text without ANSI colour codes (for widths). */
// eslint-disable-next-line no-control-regex
export const stripAnsi = (text: string): string => text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
