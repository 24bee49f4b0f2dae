// CloudStack's XML answers (response=xml, and its default when `response` is left out): the
// JSON answer's `<command>response` object as elements, a list's items as repeated elements
// named after the list, the envelope carrying the API version.
//   {"listzonesresponse": {"count": 1, "zone": [{"id": "z"}]}}
//   <listzonesresponse cloud-stack-version="4.18.0.0"><count>1</count><zone><id>z</id></zone></listzonesresponse>
import { CLOUDSTACK_VERSION } from './catalog.ts';

/** How a request asks to be answered: JSON only when `response=json` (any case), else XML, as CloudStack decides. */
export type Format = 'json' | 'xml';

export function formatOf(response: string | undefined): Format {
  return response?.toLowerCase() === 'json' ? 'json' : 'xml';
}

export function toXml(envelope: string, body: unknown): string {
  return `<?xml version="1.0" encoding="UTF-8"?><${name(envelope)} cloud-stack-version="${CLOUDSTACK_VERSION}">${children(body)}</${name(envelope)}>`;
}

function children(value: unknown): string {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return text(value);
  let out = '';
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    for (const item of Array.isArray(v) ? v : [v]) if (item !== undefined && item !== null) out += `<${name(key)}>${children(item)}</${name(key)}>`;
  }
  return out;
}

function text(value: unknown): string {
  if (value === undefined || value === null || Array.isArray(value)) return '';
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');
}

/** Element names are the endpoint's own field names; anything else is made a valid name. */
function name(key: string): string {
  const clean = key.replace(/[^A-Za-z0-9_.-]/g, '_');
  return /^[A-Za-z_]/.test(clean) ? clean : `_${clean}`;
}
