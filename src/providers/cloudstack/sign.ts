// CloudStack request signing (signature versions 1 and 3), exactly as the server checks it:
// Java URLEncoder on each value (space as %20), sort by name, join, lowercase, HMAC-SHA1, base64.
import { createHmac } from 'node:crypto';

export type Params = Record<string, string>;

const JAVA_SAFE = /[A-Za-z0-9.\-*_]/;

/** Java's URLEncoder.encode(value, "UTF-8") with "+" replaced by "%20". */
export function javaUrlEncode(value: string): string {
  let out = '';
  for (const ch of value) {
    if (JAVA_SAFE.test(ch)) out += ch;
    else if (ch === ' ') out += '%20';
    else for (const byte of Buffer.from(ch, 'utf8')) out += '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** The string that is signed: every parameter but `signature`, sorted by name as sent, lowercased. */
export function canonicalString(params: Params): string {
  return Object.keys(params)
    .filter((name) => name.toLowerCase() !== 'signature')
    .sort(compareJava)
    .map((name) => `${name}=${javaUrlEncode(params[name] ?? '')}`)
    .join('&')
    .toLowerCase();
}

/** base64(HMAC-SHA1(secret, canonicalString(params))). */
export function signature(params: Params, secretKey: string): string {
  return createHmac('sha1', secretKey).update(canonicalString(params), 'utf8').digest('base64');
}

export interface SignOptions {
  /** 3 adds signatureversion=3 and expires (both signed). Default 3. */
  version?: 1 | 3;
  /** Lifetime of a v3 signature, ms. Default 10 minutes. */
  ttlMs?: number;
  now?: Date;
}

/** Adds apikey (and for v3 signatureversion/expires) and returns the parameters with their signature. */
export function signRequest(params: Params, apiKey: string, secretKey: string, opts: SignOptions = {}): Params {
  const out: Params = { ...params, apikey: apiKey };
  if ((opts.version ?? 3) === 3) {
    const now = opts.now ?? new Date();
    out.signatureversion = '3';
    out.expires = isoSeconds(new Date(now.getTime() + (opts.ttlMs ?? 10 * 60_000)));
  }
  out.signature = signature(out, secretKey);
  return out;
}

/** ISO 8601 to the second, UTC, with an explicit offset (as CloudStack parses it). */
export function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, '+0000');
}

/** Java String.compareTo: UTF-16 code unit order (the server sorts names as received). */
function compareJava(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
