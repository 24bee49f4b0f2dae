// Regular expressions that run on the node: POSIX extended (ERE), as GNU `grep -E` reads
// them. JavaScript cannot compile ERE, so a pattern is checked two ways at construction:
// it must compile as a JavaScript RegExp (unbalanced parentheses or brackets, bad
// repetitions), and it must not use Perl-only syntax that ERE reads differently (`\d` is a
// "d" to grep, `(?:` an error).
import { z } from 'zod';

/** Escapes GNU ERE gives a meaning to: word, space and word-boundary classes, back-references. */
const GNU_ESCAPES = new Set(['w', 'W', 's', 'S', 'b', 'B', '1', '2', '3', '4', '5', '6', '7', '8', '9']);

const HINTS: Record<string, string> = {
  d: 'use [0-9]',
  D: 'use [^0-9]',
  n: 'a line holds no newline',
  t: 'use [[:blank:]] or a tab character',
  r: 'use a carriage return character',
};

/** Why `pattern` is not an ERE forklift accepts, or undefined. */
export function ereProblem(pattern: string): string | undefined {
  if (pattern.includes('\n')) return 'must be one line (grep reads each line of a pattern as another pattern)';
  if (pattern.includes('\0')) return 'must not contain NUL';
  if (pattern.includes('(?')) return '(?...) is Perl syntax, not a POSIX extended regular expression';
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i] !== '\\') continue;
    const next = pattern[i + 1] ?? '';
    if (/[A-Za-z0-9]/.test(next) && !GNU_ESCAPES.has(next)) {
      const hint = HINTS[next];
      return `\\${next} is not POSIX extended regular expression syntax${hint ? ` (${hint})` : ''}`;
    }
    i++;
  }
  try {
    new RegExp(pattern);
  } catch (e) {
    return `not a regular expression: ${(e as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '')}`;
  }
  return undefined;
}

/** A non-empty POSIX extended regular expression (grep -E), checked as above. */
export const ere = z
  .string()
  .min(1, 'must not be empty (it would match every line)')
  .superRefine((pattern, ctx) => {
    const problem = ereProblem(pattern);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
