// Feeding a running script what it asks for: its stdout is watched for need records
// (shell/stream.ts), and each one is answered on its stdin with exactly the bytes asked
// for, read from the local file as they are sent (a 50 MB file is never held in memory),
// with the channel's backpressure. A source that is shorter than asked (changed since it
// was read) is padded with zeros, so the script never waits for bytes that will not come;
// it checks the SHA-256 of what arrived and fails, naming the file, when it differs.
import { createReadStream } from 'node:fs';
import { NeedScanner, type ByteSource, type Need } from '../shell/stream.ts';

/** Where the bytes go: a channel's or a process's stdin. */
export interface Sink {
  write(chunk: Buffer): boolean;
  once(event: 'drain' | 'close', listener: () => void): unknown;
  removeListener(event: 'drain' | 'close', listener: () => void): unknown;
}

const CHUNK = 256 * 1024;

export class Feeder {
  private readonly scanner = new NeedScanner();
  private queue: Promise<void> = Promise.resolve();
  private closed = false;
  /** Bytes sent in answer to needs. */
  sent = 0;

  constructor(
    private readonly sink: Sink,
    private readonly sources: ReadonlyMap<string, ByteSource>,
  ) {}

  /** Give every chunk of the script's stdout here, in order. */
  onStdout(chunk: Buffer): void {
    for (const need of this.scanner.push(chunk)) this.queue = this.queue.then(() => this.answer(need));
  }

  /** The script is gone: stop writing. */
  close(): void {
    this.closed = true;
  }

  private async answer(need: Need): Promise<void> {
    const source = this.sources.get(need.sha256);
    let left = need.size;
    if (left === 0) return;
    if (source?.bytes) {
      await this.write(source.bytes.subarray(0, left));
      left -= Math.min(left, source.bytes.length);
    } else if (source?.path) {
      try {
        for await (const chunk of createReadStream(source.path, { highWaterMark: CHUNK, end: need.size - 1 }) as AsyncIterable<Buffer>) {
          if (this.closed || left === 0) break;
          const part = chunk.subarray(0, left);
          await this.write(part);
          left -= part.length;
        }
      } catch {
        // Unreadable now: padded below; the script's check of what arrived says so.
      }
    }
    while (left > 0 && !this.closed) {
      const n = Math.min(left, CHUNK);
      await this.write(Buffer.alloc(n));
      left -= n;
    }
  }

  private async write(chunk: Buffer): Promise<void> {
    if (this.closed || chunk.length === 0) return;
    this.sent += chunk.length;
    if (this.sink.write(chunk)) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.sink.removeListener('drain', done);
        this.sink.removeListener('close', onClose);
        resolve();
      };
      const onClose = () => {
        this.closed = true;
        done();
      };
      this.sink.once('drain', done);
      this.sink.once('close', onClose);
    });
  }
}
