// Request bodies, bounded before anything looks at the request (authentication included):
// a body larger than the limit is never buffered; reading stops at the limit and the
// request gets 413. The limit leaves room for CloudStack's largest parameter, 32 KB of
// user data, many times over (the API allows up to 1 MB of user data when so configured).
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';

/** The largest request body the endpoint reads, bytes. */
export const MAX_BODY_BYTES = 1024 * 1024;

export type Body =
  | { kind: 'body'; text: string }
  /** Larger than the limit: reading stopped (the stream is paused) after `read` bytes. */
  | { kind: 'too-large'; read: number }
  /** The client went away before the body ended. */
  | { kind: 'gone' };

/** Read the whole body, up to `limit` bytes; never rejects. */
export function readBody(req: Readable & { headers?: IncomingHttpHeaders }, limit = MAX_BODY_BYTES): Promise<Body> {
  const declared = Number(req.headers?.['content-length'] ?? 0);
  if (declared > limit) return Promise.resolve({ kind: 'too-large', read: 0 });
  return new Promise((done) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (body: Body) => {
      req.off('data', onData).off('end', onEnd).off('error', onGone).off('close', onGone);
      done(body);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      req.pause();
      finish({ kind: 'too-large', read: size });
    };
    const onEnd = () => finish({ kind: 'body', text: Buffer.concat(chunks).toString('utf8') });
    const onGone = () => finish({ kind: 'gone' });
    req.on('data', onData).on('end', onEnd).on('error', onGone).on('close', onGone);
  });
}
