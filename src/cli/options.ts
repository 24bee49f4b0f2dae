// Options several verbs share, defined once.
import { InvalidArgumentError, Option } from 'commander';
import { DEFAULT_CONFIG_FILE } from '../config/define.ts';

export const stackFileOption = () => new Option('-f, --file <file>', 'stack file').default(DEFAULT_CONFIG_FILE);

/** Commander parser for a positive number of seconds. */
export function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number of seconds');
  return n;
}
