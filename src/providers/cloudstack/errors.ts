// CloudStack failures as ProviderErrors that name the command, HTTP status, errorcode and errortext.
// Credentials never reach a message: redact() strips them from anything that could echo a request.
import { ProviderError } from '../../errors.ts';

export class CloudStackError extends ProviderError {
  constructor(
    readonly command: string,
    readonly status: number | undefined,
    readonly errorcode: number | undefined,
    readonly errortext: string,
  ) {
    const parts = [`${command} failed`];
    if (status !== undefined) parts.push(`HTTP ${status}`);
    if (errorcode !== undefined && errorcode !== status) parts.push(`errorcode ${errorcode}`);
    super('cloudstack', `${parts.join(', ')}: ${errortext}`);
  }
}

/** Remove secrets, signatures and api keys from a text (URLs, bodies, error texts). */
export function redact(text: string, secrets: Array<string | undefined>): string {
  let out = text.replace(/((?:signature|apikey|secretkey)=)[^&\s"']*/gi, '$1***');
  for (const secret of secrets) {
    if (!secret) continue;
    out = out.split(secret).join('***');
    const encoded = encodeURIComponent(secret);
    if (encoded !== secret) out = out.split(encoded).join('***');
  }
  return out;
}
