// "lb=1 web=4" or Pallet's "lb 1 web 4" → { lb: 1, web: 4 }.
import { UsageError } from '../errors.ts';

export function parseCounts(words: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  const bad = (why: string) => new UsageError(`${why}; write counts as GROUP=N (e.g. lb=1 web=4) or GROUP N`);
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    let group: string;
    let count: string | undefined;
    if (word.includes('=')) [group = '', count] = word.split('=', 2);
    else [group, count] = [word, words[++i]];
    if (count === undefined) throw bad(`group "${group}" has no count`);
    if (!/^\d+$/.test(count)) throw bad(`count "${count}" for group "${group}" is not a whole number`);
    if (group in counts) throw bad(`group "${group}" is given twice`);
    counts[group] = Number(count);
  }
  if (Object.keys(counts).length === 0) throw bad('no group counts given');
  return counts;
}
