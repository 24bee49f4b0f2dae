// Prints the progress view to a stream. On a terminal the view's footer is a live region
// at the bottom, redrawn ten times a second (ANSI: cursor up, clear to the end of the
// screen) under the permanent lines; elsewhere only the permanent lines are written, with a
// heartbeat line every 30 s while nodes are at work, so a long phase is seen alive in CI.
import type { ForkliftEvent } from '../../engine/events.ts';
import type { ProgressView } from './view.ts';

export interface ReporterStream {
  write(text: string): unknown;
  columns?: number;
  rows?: number;
}

const REDRAW_MS = 100;
const HEARTBEAT_MS = 30_000;
const HIDE_CURSOR = '\x1b[?25l';
const SHOW_CURSOR = '\x1b[?25h';

export class Reporter {
  /** Lines of the footer now on the screen. */
  private height = 0;
  private timer: NodeJS.Timeout | undefined;
  private finished = false;
  /** The stream's own write; on a terminal, other writers (a Node warning) go above the live region. */
  private readonly write: (text: string) => unknown;
  private readonly restoreCursor = () => this.height && this.write(SHOW_CURSOR);

  constructor(
    private readonly view: ProgressView,
    private readonly stream: ReporterStream,
    private readonly live: boolean,
    private readonly clock: () => number = Date.now,
  ) {
    const original = stream.write;
    const hadOwn = Object.hasOwn(stream, 'write');
    const own = original.bind(stream) as (...args: unknown[]) => unknown;
    this.write = own;
    this.release = () => {
      if (hadOwn) stream.write = original;
      else delete (stream as { write?: unknown }).write;
    };
    if (live) {
      stream.write = (chunk: unknown, ...rest: unknown[]) => {
        if (!this.height) return own(chunk, ...rest);
        this.draw([String(chunk).replace(/\n$/, '')]);
        (rest.find((r) => typeof r === 'function') as (() => void) | undefined)?.();
        return true;
      };
    }
  }

  /** Gives the stream its own write back. */
  private readonly release: () => void;

  event(event: ForkliftEvent): void {
    if (this.finished) return;
    this.print(this.view.apply(event, this.clock()));
    if (event.type === 'operation-end') this.finish();
    else this.tick();
  }

  /** A line of the CLI's own (Ctrl-C's "stopping…"), above the live region. */
  say(line: string): void {
    this.print([line]);
  }

  /** Print what is still open for good, clear the live region, stop the timer. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    clearInterval(this.timer);
    this.timer = undefined;
    this.print(this.view.finish(this.clock()), true);
    if (this.live) this.release();
  }

  /** Permanent lines; on a terminal the footer is redrawn with them (else by the timer, at most ten times a second). */
  private print(lines: readonly string[], clear = false): void {
    if (!this.live) {
      if (lines.length) this.write(lines.map((l) => `${l}\n`).join(''));
    } else if (lines.length || clear) this.draw(lines);
  }

  /** One write: clear the old footer, the new permanent lines, the new footer. */
  private draw(lines: readonly string[] = []): void {
    const footer = this.finished ? [] : this.view.footer(this.clock(), this.stream.columns || 80, this.stream.rows || 24);
    let out = this.height ? `\x1b[${this.height}A\r\x1b[J` : '';
    out += lines.map((l) => `${l}\n`).join('');
    if (footer.length && !this.height) {
      out += HIDE_CURSOR;
      process.once('exit', this.restoreCursor);
    }
    out += footer.map((l) => `${l}\n`).join('');
    if (!footer.length && this.height) {
      out += SHOW_CURSOR;
      process.off('exit', this.restoreCursor);
    }
    this.height = footer.length;
    if (out) this.write(out);
  }

  /** Keep the live region moving (or the heartbeat going) while there is something to show. */
  private tick(): void {
    if (this.timer || this.finished) return;
    this.timer = this.live
      ? setInterval(() => this.draw(), REDRAW_MS)
      : setInterval(() => this.print(this.view.heartbeat(this.clock())), HEARTBEAT_MS);
    // The live view never keeps the process alive.
    this.timer.unref();
  }
}
