// The endpoint's API key and secret: given, or generated once and kept beside the data file
// in an env file (0600) that clients can source. The secret is never printed. An empty key
// or secret is refused: with an empty secret anyone can sign.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { EndpointError } from './errors.ts';

export interface EndpointCredentials {
  apiKey: string;
  secretKey: string;
  /** The env file holding them (CLOUDSTACK_ENDPOINT/KEY/SECRET). */
  file: string;
}

export function credentialsFile(dataFile: string): string {
  return `${dataFile}.env`;
}

/** The given credentials, else those in `<dataFile>.env`, else fresh random ones. */
export function loadCredentials(dataFile: string, given: { apiKey?: string; secretKey?: string } = {}): EndpointCredentials {
  const file = credentialsFile(dataFile);
  const old = existsSync(file) ? parseEnv(read(file)) : {};
  for (const name of ['CLOUDSTACK_KEY', 'CLOUDSTACK_SECRET'] as const) {
    if (old[name] !== undefined && !old[name].trim()) throw new EndpointError(`${file}: ${name} is empty; set it, or remove the line to have one generated`, { file });
  }
  const apiKey = given.apiKey ?? old.CLOUDSTACK_KEY ?? randomBytes(24).toString('base64url');
  const secretKey = given.secretKey ?? old.CLOUDSTACK_SECRET ?? randomBytes(32).toString('base64url');
  return { apiKey, secretKey, file };
}

/** Write the env file (0600) a client can source: CLOUDSTACK_ENDPOINT, _KEY, _SECRET. */
export function saveCredentials(creds: EndpointCredentials, url: string): void {
  const text = `CLOUDSTACK_ENDPOINT=${url}\nCLOUDSTACK_KEY=${creds.apiKey}\nCLOUDSTACK_SECRET=${creds.secretKey}\n`;
  try {
    writeFileSync(creds.file, text, { mode: 0o600 });
  } catch (err) {
    throw new EndpointError(`cannot write the credentials file ${creds.file}: ${(err as Error).message}`, { file: creds.file });
  }
}

function read(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new EndpointError(`cannot read the credentials file ${file}: ${(err as Error).message}`, { file });
  }
}

function parseEnv(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\n')
      .map((line) => /^([A-Z_]+)=(.*)$/.exec(line.trim()))
      .filter((m): m is RegExpExecArray => !!m)
      .map((m) => [m[1]!, m[2]!]),
  );
}
