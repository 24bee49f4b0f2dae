// Who may call: the request's signature (CloudStack's HMAC-SHA1 over every parameter as
// sent), its api key, and for signature version 3 its expiry. Choices (README, endpoint):
// - v3 (`signatureversion=3`) needs `expires`, not past and at most MAX_EXPIRES_AHEAD_MS
//   ahead: a signed URL cannot be replayed for longer than that.
// - v1 (no `signatureversion`, no expiry) is accepted, as CloudStack accepts it (some
//   clients sign only v1), unless `requireExpiry` is set. A v1 request that carries
//   `expires` anyway is held to it.
// - Any other `signatureversion` is refused: no version escapes the expiry check.
import { timingSafeEqual } from 'node:crypto';
import { signature, type Params } from '../../providers/cloudstack/index.ts';

/** How far ahead a v3 `expires` may be: 1 hour (python cs and forklift's client sign 10 minutes). */
export const MAX_EXPIRES_AHEAD_MS = 60 * 60_000;

export interface AuthPolicy {
  apiKey: string;
  secretKey: string;
  /** Refuse v1 signatures (those without an expiry). */
  requireExpiry?: boolean;
}

/** Why the request is refused (for the endpoint's log; the client gets CloudStack's generic 401), or undefined when it may call. */
export function refusal(raw: Params, p: Params, policy: AuthPolicy, now = Date.now()): string | undefined {
  if (!p.apikey) return 'no apikey';
  if (p.apikey !== policy.apiKey) return 'unknown apikey';
  if (!p.signature) return 'no signature';
  const version = p.signatureversion;
  if (version !== undefined && version !== '3') return `signatureversion ${JSON.stringify(version)} is not supported (3, or none for version 1)`;
  if (version === undefined && policy.requireExpiry) return 'a version 1 signature (no expires) is refused: this endpoint requires signatureversion=3';
  if (version === '3' || p.expires !== undefined) {
    const expires = parseExpires(p.expires);
    if (expires === undefined) return `expires ${JSON.stringify(p.expires ?? '')} is not an ISO 8601 time such as 2030-01-01T00:00:00+0000`;
    if (expires < now) return `the signature expired at ${p.expires}`;
    if (expires > now + MAX_EXPIRES_AHEAD_MS) return `expires ${p.expires} is more than ${MAX_EXPIRES_AHEAD_MS / 60_000} minutes ahead`;
  }
  const expected = Buffer.from(signature(raw, policy.secretKey));
  const given = Buffer.from(p.signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return 'wrong signature';
  return undefined;
}

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})$/;

/** ISO 8601 to the second (fractions allowed) with an offset: "+0000", "+00:00" or "Z". */
function parseExpires(value: string | undefined): number | undefined {
  if (!value || !ISO_8601.test(value)) return undefined;
  const t = Date.parse(value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  return Number.isNaN(t) ? undefined : t;
}
