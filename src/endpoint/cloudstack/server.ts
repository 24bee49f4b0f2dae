// An HTTP server that speaks the CloudStack API (JSON) backed by real local nodes:
// signature check, `<command>response` envelopes, paging, async jobs, tags, security groups.
import http from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { signature, type Params } from '../../providers/cloudstack/index.ts';
import { ApiError, type Ctx, type Handler } from './api.ts';
import { defaultBackend, type NodeBackend } from './backend.ts';
import { catalogCommands } from './commands/catalog.ts';
import { keyPairCommands } from './commands/keypairs.ts';
import { securityGroupCommands } from './commands/securitygroups.ts';
import { tagCommands } from './commands/tags.ts';
import { vmCommands } from './commands/vms.ts';
import { parseSpec } from '../../validate.ts';
import { FaultState, faultsSchema, type Faults } from './faults.ts';
import { Jobs } from './jobs.ts';
import { Store } from './store.ts';

export interface EndpointOptions {
  port: number;
  host?: string;
  /** JSON file holding the endpoint's state. */
  dataFile: string;
  apiKey: string;
  secretKey: string;
  faults?: Faults;
  /** What makes the VMs' nodes; default: the local provider, stack `localStack`. */
  backend?: NodeBackend;
  /** Local stack the VMs' nodes belong to (default "cloudstack"). */
  localStack?: string;
  log?: (message: string) => void;
}

export interface Endpoint {
  /** The API URL, e.g. http://127.0.0.1:8080/client/api */
  url: string;
  close(): Promise<void>;
}

const COMMANDS = new Map<string, [string, Handler]>(
  Object.entries({ ...catalogCommands, ...keyPairCommands, ...securityGroupCommands, ...tagCommands, ...vmCommands }).map(
    ([name, handler]) => [name.toLowerCase(), [name, handler]],
  ),
);

export async function startEndpoint(opts: EndpointOptions): Promise<Endpoint> {
  const log = opts.log ?? (() => {});
  const faults = new FaultState(parseSpec(faultsSchema, opts.faults ?? {}, 'cloudstack-endpoint faults'));
  const backend = opts.backend ?? (await defaultBackend(opts.localStack ?? 'cloudstack', log));
  const store = new Store(opts.dataFile);
  const ctx: Ctx = { store, backend, jobs: new Jobs(store, faults.faults.jobDelayMs ?? 0, log), faults, log };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void handle(ctx, opts, req, Buffer.concat(chunks).toString('utf8')).then(({ status, body, drop }) => {
        if (drop) return req.socket.destroy();
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify(body));
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}/client/api`,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await ctx.jobs.idle();
      await backend.close?.();
    },
  };
}

async function handle(
  ctx: Ctx,
  opts: EndpointOptions,
  req: http.IncomingMessage,
  body: string,
): Promise<{ status: number; body: unknown; drop?: boolean }> {
  const url = new URL(req.url ?? '/', 'http://endpoint');
  const raw: Params = Object.fromEntries(url.searchParams);
  if (req.method === 'POST') Object.assign(raw, Object.fromEntries(new URLSearchParams(body)));
  // Parameter names are case-insensitive for commands; the signature uses them as sent.
  const p: Params = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k.toLowerCase(), v]));
  const command = p.command ?? '';
  const envelope = `${command.toLowerCase()}response`;
  const error = (e: ApiError) => ({
    status: e.errorcode,
    body: { [envelope]: { uuidList: [], errorcode: e.errorcode, cserrorcode: e.cserrorcode, errortext: e.message } },
  });
  const fault = ctx.faults.onRequest();
  if (fault.rateLimit) return error(new ApiError(429, 'You have exceeded the request rate limit, try again later', 4990));
  if (!verify(raw, p, opts)) return error(new ApiError(401, 'unable to verify user credentials and/or request signature', 0));
  const entry = COMMANDS.get(command.toLowerCase());
  if (!entry) return error(new ApiError(432, `The given command ${command} does not exist or it is not available for user`, 9999));
  try {
    const result = await entry[1](p, ctx);
    return { status: 200, body: { [envelope]: result }, drop: fault.drop };
  } catch (err) {
    if (err instanceof ApiError) return { ...error(err), drop: fault.drop };
    ctx.log(`${entry[0]}: internal error: ${err instanceof Error ? err.stack : String(err)}`);
    return { ...error(new ApiError(530, `Internal error executing command ${entry[0]}`)), drop: fault.drop };
  }
}

/** The signature over every parameter as sent (but `signature`), api key, and v3 expiry. */
function verify(raw: Params, p: Params, opts: EndpointOptions): boolean {
  if (p.apikey !== opts.apiKey || !p.signature) return false;
  if (p.signatureversion === '3') {
    const expires = parseExpires(p.expires);
    if (expires === undefined || expires < Date.now()) return false;
  }
  const expected = Buffer.from(signature(raw, opts.secretKey));
  const given = Buffer.from(p.signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** ISO 8601 with an offset as "+0000" or "+00:00" or "Z". */
function parseExpires(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const normalized = value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  const t = Date.parse(normalized);
  return Number.isNaN(t) ? undefined : t;
}
