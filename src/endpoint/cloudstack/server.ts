// An HTTP server that speaks the CloudStack API (JSON and XML) backed by real local nodes:
// signature check, `<command>response` envelopes, paging, async jobs, tags, security groups.
// What a request may be (size, signature, expiry) is in dispatch.ts, body.ts and auth.ts.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { parseSpec } from '../../validate.ts';
import type { Ctx } from './api.ts';
import { defaultBackend, type NodeBackend } from './backend.ts';
import { COMMANDS_BY_LOWER_NAME } from './commands/index.ts';
import { answer, type Answer } from './dispatch.ts';
import { EndpointError } from './errors.ts';
import { FaultState, faultsSchema, type Faults } from './faults.ts';
import { Jobs } from './jobs.ts';
import { reconcile } from './lifecycle.ts';
import { Store } from './store.ts';
import { toXml } from './xml.ts';

export interface EndpointOptions {
  port: number;
  host?: string;
  /** JSON file holding the endpoint's state. */
  dataFile: string;
  apiKey: string;
  secretKey: string;
  /** Refuse version 1 signatures (they carry no expiry); default false, as CloudStack. */
  requireExpiry?: boolean;
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

export async function startEndpoint(opts: EndpointOptions): Promise<Endpoint> {
  const log = opts.log ?? (() => {});
  const host = opts.host ?? '127.0.0.1';
  if (!opts.apiKey.trim()) throw new EndpointError('the API key is empty: anyone could call');
  if (!opts.secretKey.trim()) throw new EndpointError('the secret key is empty: anyone could sign');
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) throw new EndpointError(`port ${opts.port} is not a port number (0-65535)`, { port: opts.port });
  const faults = new FaultState(parseSpec(faultsSchema, opts.faults ?? {}, 'cloudstack-endpoint faults'));
  // Read (and check) the state first, but change nothing before the port is ours: another
  // endpoint may be serving this data file.
  const store = new Store(opts.dataFile, log);
  const policy = { apiKey: opts.apiKey, secretKey: opts.secretKey, requireExpiry: opts.requireExpiry ?? false };
  let ctx: Ctx | undefined;

  const server = http.createServer((req, res) => {
    if (!ctx) return void res.writeHead(503).end();
    void answer(ctx, COMMANDS_BY_LOWER_NAME, policy, req).then((a) => send(req, res, a));
  });
  // CONNECT (no listener: node would close the socket unanswered) gets an answer too.
  server.on('connect', (_req: http.IncomingMessage, socket: Duplex) => {
    socket.on('error', () => {});
    socket.end('HTTP/1.1 405 Method Not Allowed\r\nallow: GET, POST\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
  });
  await listen(server, opts.port, host);
  let backend: NodeBackend | undefined;
  try {
    store.saveOrThrow();
    backend = opts.backend ?? (await defaultBackend(opts.localStack ?? 'cloudstack', log));
    const ready: Ctx = { store, backend, jobs: new Jobs(store, faults.faults.jobDelayMs ?? 0, log), faults, log };
    // States as recorded are better than no endpoint: a failure here is logged, not fatal.
    await reconcile(ready).catch((err: unknown) => log(`cannot read the VMs' nodes (${err instanceof Error ? err.message : String(err)}): their states are as recorded`));
    ctx = ready;
  } catch (err) {
    await new Promise((resolve) => server.close(resolve));
    throw err;
  }
  // After listening, a server error (e.g. out of file descriptors) is logged, not fatal.
  server.on('error', (err) => log(`server error: ${err.message}`));
  const { port } = server.address() as AddressInfo;
  const running = ctx;
  return {
    url: `http://${host}:${port}/client/api`,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await running.jobs.idle();
      store.save();
      await backend.close?.();
    },
  };
}

function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const failed = (err: NodeJS.ErrnoException) => {
      const why: Record<string, string> = {
        EADDRINUSE: 'the address is in use (another process listens there)',
        EACCES: 'permission denied',
        EADDRNOTAVAIL: 'the address is not one of this machine\'s',
      };
      reject(new EndpointError(`cannot listen on ${host}:${port}: ${why[err.code ?? ''] ?? err.message}`, { host, port }));
    };
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      resolve();
    });
  });
}

function send(req: http.IncomingMessage, res: http.ServerResponse, a: Answer): void {
  if (a.drop) return void req.socket.destroy();
  if (res.headersSent || res.destroyed) return;
  const [envelope, inside] = Object.entries(a.body)[0] ?? ['errorresponse', {}];
  const [type, text] = a.format === 'json' ? ['application/json', JSON.stringify(a.body)] : ['text/xml', toXml(envelope, inside)];
  res.writeHead(a.status, { 'content-type': `${type}; charset=utf-8`, ...(a.close ? { connection: 'close' } : {}), ...a.headers });
  res.end(text);
}
