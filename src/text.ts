// Small text helpers for messages. Internal: not part of the public API.

export function indent(text: string, prefix = '    '): string {
  return text
    .split('\n')
    .map((line) => prefix + line)
    .join('\n');
}

/** The last `lines` lines of a text, trailing blank lines dropped, for error messages. */
export function tail(text: string, lines = 5): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

/** Code-unit order of two strings: stable and fast (names here are ASCII; localeCompare costs ~1 µs a call). */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
