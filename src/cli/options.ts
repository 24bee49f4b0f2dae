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

/** Commander parser for --limit NODE[,NODE...] (repeatable): node names, in order, each once. */
export function nodeNames(value: string, previous: string[] = []): string[] {
  const names = value.split(',').map((n) => n.trim());
  if (names.some((n) => !n)) throw new InvalidArgumentError(`${JSON.stringify(value)} is not a comma-separated list of node names`);
  return [...new Set([...previous, ...names])];
}

export const limitOption = () => new Option('--limit <nodes>', 'only these nodes (names, comma-separated; see forklift nodes); the others still count for nodesWithRole').argParser(nodeNames);
