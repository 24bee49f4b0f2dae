// Small text helpers of the progress view: durations, plurals, lines fitted to a width.
import type { Paint } from './terminal.ts';


/** 0.4s, 12.3s, 1m05s, 1h02m. */
export function duration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.floor(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** Whole seconds, for what is still running (a live line that changes ten times a second reads badly). */
export function elapsed(ms: number): string {
  return ms < 60_000 ? `${Math.floor(ms / 1000)}s` : duration(ms);
}



/** A piece of a line and how it is painted. */
export type Style = Exclude<keyof Paint, 'isColorSupported'>;
export type Segment = [text: string, style?: Style];

/** Join segments into one line of at most `width` visible characters (cut with …), painted. */
export function fit(segments: readonly Segment[], width: number, p: Paint): string {
  let room = Math.max(1, width);
  let out = '';
  for (const [text, style] of segments) {
    if (room <= 0) break;
    let piece = text;
    if ([...piece].length > room) piece = `${[...piece].slice(0, Math.max(0, room - 1)).join('')}…`;
    room -= [...piece].length;
    out += style ? p[style](piece) : piece;
  }
  return out;
}

/** Up to `max` names, then "+N more". */
export function names(list: readonly string[], max = 5): string {
  return list.length <= max ? list.join(', ') : `${list.slice(0, max).join(', ')} +${list.length - max} more`;
}
