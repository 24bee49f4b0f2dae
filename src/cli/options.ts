// Options several verbs share, defined once.
import { InvalidArgumentError, Option } from 'commander';
import { DEFAULT_CONFIG_FILE } from '../config/define.ts';

export const stackFileOption = () => new Option('-f, --file <file>', 'stack file').default(DEFAULT_CONFIG_FILE);

/** Commander parser for a positive number of seconds (fractions allowed); gives whole milliseconds. */
export function secondsAsMs(value: string): number {
  const n = Number(value);
  const ms = Math.round(n * 1000);
  if (!Number.isFinite(n) || n <= 0 || ms < 1) throw new InvalidArgumentError(`${JSON.stringify(value)} is not a positive number of seconds`);
  return ms;
}
