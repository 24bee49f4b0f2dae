// The CloudStack API client: envelopes, errors, retries, paging and async jobs.
import { CancelledError } from '../../errors.ts';
import { CloudStackError, redact } from './errors.ts';
import { NetworkError, send, type Credentials } from './http.ts';
import type { Params } from './sign.ts';

export interface ClientOptions extends Credentials {
  log?: (message: string) => void;
  /** Per-request timeout, ms (default 30 s). */
  requestTimeoutMs?: number;
  /** Attempts for a retryable failure (429, 503, transient network), default 6. */
  attempts?: number;
  /** First backoff delay, ms (doubles each time, capped at 10 s), default 500. */
  backoffMs?: number;
  /** Give up on an async job after this long, ms (default 15 min). */
  jobTimeoutMs?: number;
  /** First delay between queryAsyncJobResult polls, ms (grows to 5 s), default 250. */
  pollMs?: number;
}

export interface CallOptions {
  /** Safe to repeat after an ambiguous network failure (lists, queries). Default: command starts with list/query. */
  idempotent?: boolean;
  signal?: AbortSignal;
}

export type Obj = Record<string, unknown>;

const PAGE_SIZE = 500;

export class CloudStackClient {
  constructor(private readonly opts: ClientOptions) {}

  /** One command; returns the object inside `<command>response`. */
  async call<T = Obj>(command: string, params: Params = {}, callOpts: CallOptions = {}): Promise<T> {
    const idempotent = callOpts.idempotent ?? /^(list|query|get)/i.test(command);
    const attempts = this.opts.attempts ?? 6;
    // Empty values are left out: servers differ on whether they sign them.
    const full: Params = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== ''));
    Object.assign(full, { command, response: 'json' });
    for (let attempt = 1; ; attempt++) {
      let res;
      try {
        res = await send(this.opts, full, this.opts.requestTimeoutMs ?? 30_000, callOpts.signal);
      } catch (err) {
        if (!(err instanceof NetworkError)) throw err;
        const retryable = idempotent || !err.maybeSent;
        if (!retryable || attempt >= attempts) {
          throw new CloudStackError(
            command,
            undefined,
            undefined,
            `${err.code} talking to ${this.where()}` +
              (retryable ? ` (after ${attempt} attempts)` : ' (not retried: the call may have been carried out)'),
          );
        }
        await this.backoff(command, attempt, err.code, callOpts.signal);
        continue;
      }
      if (res.status === 200) return this.unwrap<T>(command, res.body, res.status);
      if ((res.status === 429 || res.status === 503) && attempt < attempts) {
        await this.backoff(command, attempt, `HTTP ${res.status}`, callOpts.signal);
        continue;
      }
      this.unwrap(command, res.body, res.status);
    }
  }

  /** A list command, following every page; returns all items. */
  async list<T = Obj>(command: string, params: Params = {}, signal?: AbortSignal): Promise<T[]> {
    const out: T[] = [];
    for (let page = 1; ; page++) {
      const body = await this.call<Obj>(command, { ...params, page: String(page), pagesize: String(PAGE_SIZE) }, { signal });
      const key = Object.keys(body).find((k) => k !== 'count');
      const items = key && Array.isArray(body[key]) ? (body[key] as T[]) : [];
      out.push(...items);
      const count = typeof body.count === 'number' ? body.count : undefined;
      if (items.length === 0 || items.length < PAGE_SIZE || (count !== undefined && out.length >= count)) return out;
    }
  }

  /** An async command: call it, then poll its job until it ends; returns `jobresult`. */
  async job<T = Obj>(command: string, params: Params = {}, callOpts: CallOptions = {}): Promise<T> {
    const started = await this.call<Obj>(command, params, callOpts);
    const jobid = started.jobid;
    if (typeof jobid !== 'string') return started as T;
    return this.waitJob<T>(command, jobid, callOpts.signal);
  }

  async waitJob<T = Obj>(command: string, jobid: string, signal?: AbortSignal): Promise<T> {
    const deadline = Date.now() + (this.opts.jobTimeoutMs ?? 15 * 60_000);
    let delay = this.opts.pollMs ?? 250;
    for (;;) {
      const j = await this.call<Obj>('queryAsyncJobResult', { jobid }, { idempotent: true, signal });
      if (j.jobstatus === 1) return (j.jobresult ?? {}) as T;
      if (j.jobstatus === 2) {
        const r = (j.jobresult ?? {}) as Obj;
        const code = typeof r.errorcode === 'number' ? r.errorcode : undefined;
        throw new CloudStackError(command, undefined, code, `job ${jobid} failed: ${this.clean(String(r.errortext ?? 'no error text'))}`);
      }
      if (Date.now() + delay > deadline) {
        throw new CloudStackError(command, undefined, undefined, `job ${jobid} still pending after ${Math.round((this.opts.jobTimeoutMs ?? 900_000) / 1000)} s`);
      }
      await sleep(delay, signal);
      delay = Math.min(delay * 1.5, 5_000);
    }
  }

  private unwrap<T>(command: string, body: string, status: number): T {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      throw new CloudStackError(command, status, undefined, `not a JSON answer from ${this.where()}: ${this.clean(body.slice(0, 200))}`);
    }
    const inner = (parsed && typeof parsed === 'object' ? Object.values(parsed)[0] : undefined) as Obj | undefined;
    if (status === 200 && inner && typeof inner === 'object') return inner as T;
    const code = typeof inner?.errorcode === 'number' ? inner.errorcode : undefined;
    throw new CloudStackError(command, status, code, this.clean(String(inner?.errortext ?? 'no error text')));
  }

  private async backoff(command: string, attempt: number, why: string, signal?: AbortSignal): Promise<void> {
    const base = Math.min((this.opts.backoffMs ?? 500) * 2 ** (attempt - 1), 10_000);
    const delay = base / 2 + Math.random() * (base / 2);
    this.opts.log?.(`cloudstack: ${command}: ${why}, retrying in ${Math.round(delay)} ms`);
    await sleep(delay, signal);
  }

  private where(): string {
    const url = new URL(this.opts.endpoint);
    return `${url.origin}${url.pathname}`;
  }

  private clean(text: string): string {
    return redact(text, [this.opts.secretKey, this.opts.apiKey]);
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new CancelledError());
    const timer = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener('abort', abort);
      resolve();
    }
    function abort() {
      clearTimeout(timer);
      reject(new CancelledError());
    }
    signal?.addEventListener('abort', abort, { once: true });
  });
}
