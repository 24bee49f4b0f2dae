// One signed HTTP exchange with a CloudStack endpoint: GET, or POST when the parameters are large.
import http from 'node:http';
import https from 'node:https';
import { signRequest, type Params } from './sign.ts';

export interface Credentials {
  endpoint: string;
  apiKey: string;
  secretKey: string;
}

export interface RawResponse {
  status: number;
  body: string;
}

/** Above this many bytes of query string, send the parameters as a POST body (user data needs it). */
export const POST_THRESHOLD = 2048;

/** A transport failure with its errno code (ECONNRESET, ECONNREFUSED, ETIMEDOUT...). */
export class NetworkError extends Error {
  constructor(
    readonly code: string,
    /** True when the request may have reached the server (so a non-idempotent call might have run). */
    readonly maybeSent: boolean,
  ) {
    super(`network error ${code}`);
  }
}

/** Failures that prove the request never reached the server; any other one may hide a success. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

export function encodeForm(params: Params): string {
  return Object.entries(params)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
}

export async function send(
  creds: Credentials,
  params: Params,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<RawResponse> {
  const signed = signRequest(params, creds.apiKey, creds.secretKey);
  const form = encodeForm(signed);
  const url = new URL(creds.endpoint);
  const post = form.length > POST_THRESHOLD;
  if (!post) url.search = form;
  const lib = url.protocol === 'https:' ? https : http;
  return new Promise<RawResponse>((resolve, reject) => {
    const req = lib.request(
      url,
      {
        method: post ? 'POST' : 'GET',
        headers: post
          ? { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(form) }
          : {},
        timeout: timeoutMs,
        signal,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (err: NodeJS.ErrnoException) => reject(new NetworkError(err.code ?? 'ERESPONSE', true)));
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (signal?.aborted) return reject(signal.reason ?? err);
      const code = err.code ?? 'ENETWORK';
      reject(new NetworkError(code, !NOT_SENT.has(code)));
    });
    req.end(post ? form : undefined);
  });
}
