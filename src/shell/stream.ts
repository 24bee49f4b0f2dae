// What a phase script writes on stdout, and the bytes it may ask for while it runs.
//
// stdout carries only records, each a header line after a newline, some with a body of a
// length the header gives, so any bytes an action prints stay inside its record:
//   \n@@forklift <index> <status> <exit> <stdout bytes> <stderr bytes>\n<stdout><stderr>
//   \n@@forklift-need <sha256> <bytes>\n        (no body: the script now reads <bytes> from stdin)
//   \n@@forklift-facts <bytes>\n<facts>
// A script asks for a file's content (a ByteSource) with a need record, then reads exactly
// that many bytes from its stdin, which stays open after the script: a large file never
// sits in the script, and a file whose check passes is never sent.
import { FACTS_MARK } from './facts.ts';

export const RECORD_MARK = '@@forklift';
export const NEED_MARK = '@@forklift-need';

/** Bytes a script may ask for by their SHA-256: a local file (read when sent) or bytes in memory. */
export interface ByteSource {
  /** SHA-256 of the bytes, hex: the id the script asks for them by, and checks them against. */
  readonly sha256: string;
  readonly size: number;
  /** A local file, opened when the bytes are sent. */
  readonly path?: string;
  readonly bytes?: Buffer;
}

export interface Need {
  sha256: string;
  size: number;
}

export type Header =
  | { kind: 'block'; index: number; status: string; exitCode: number; body: [number, number] }
  | { kind: 'need'; need: Need }
  | { kind: 'facts'; length: number };

/** A record's header line (without its leading newline); undefined for anything else. */
export function parseHeader(line: string): Header | undefined {
  const [mark, ...f] = line.split(' ');
  const n = (s: string | undefined) => (s !== undefined && /^\d+$/.test(s) ? Number(s) : NaN);
  if (mark === RECORD_MARK && f.length === 5) {
    const [index, status, exitCode, o, e] = f;
    if ([index, exitCode, o, e].every((v) => Number.isInteger(n(v)))) return { kind: 'block', index: n(index), status: status!, exitCode: n(exitCode), body: [n(o), n(e)] };
  }
  if (mark === NEED_MARK && f.length === 2 && /^[0-9a-f]{64}$/.test(f[0]!) && Number.isInteger(n(f[1]))) return { kind: 'need', need: { sha256: f[0]!, size: n(f[1]) } };
  if (mark === FACTS_MARK && f.length === 1 && Number.isInteger(n(f[0]))) return { kind: 'facts', length: n(f[0]) };
  return undefined;
}

export const bodyLength = (h: Header): number => (h.kind === 'block' ? h.body[0] + h.body[1] : h.kind === 'facts' ? h.length : 0);

const MARK = Buffer.from(`\n${RECORD_MARK}`);
/** A header longer than this is not one. */
const MAX_HEADER = 512;

/**
 * Finds need records in a script's stdout as it arrives, in chunks, holding at most one
 * header's bytes: record bodies are skipped by their length, so nothing an action printed
 * can pass for a request.
 */
export class NeedScanner {
  private pending: Buffer = Buffer.alloc(0);
  private skip = 0;

  push(chunk: Buffer): Need[] {
    const needs: Need[] = [];
    let buf = chunk;
    if (this.skip) {
      const n = Math.min(this.skip, buf.length);
      this.skip -= n;
      buf = buf.subarray(n);
    }
    if (this.pending.length) buf = Buffer.concat([this.pending, buf]);
    this.pending = Buffer.alloc(0);
    for (;;) {
      const at = buf.indexOf(MARK);
      if (at < 0) {
        // The chunk may end inside a mark: keep what could be its start.
        const keep = Math.min(buf.length, MARK.length - 1);
        this.pending = Buffer.from(buf.subarray(buf.length - keep));
        return needs;
      }
      const end = buf.indexOf(0x0a, at + 1);
      if (end < 0) {
        if (buf.length - at <= MAX_HEADER) this.pending = Buffer.from(buf.subarray(at));
        return needs;
      }
      const header = parseHeader(buf.subarray(at + 1, end).toString());
      if (header?.kind === 'need') needs.push(header.need);
      const body = header ? bodyLength(header) : 0;
      const rest = buf.subarray(end + 1);
      if (rest.length < body) {
        this.skip = body - rest.length;
        return needs;
      }
      buf = rest.subarray(body);
    }
  }
}
