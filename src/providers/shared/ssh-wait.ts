// Wait until a new node's sshd answers: a TCP connection that sends an "SSH-" banner
// (an open port alone may belong to a daemon still starting).
import { connect } from 'node:net';
import { CancelledError, ProviderError } from '../../errors.ts';

export interface WaitForSshOptions {
  provider: string;
  port?: number;
  /** Give up after this long, ms (default 60 s). */
  timeoutMs?: number;
  /** First pause between attempts, ms; it grows by half each time up to `maxIntervalMs`. */
  intervalMs?: number;
  maxIntervalMs?: number;
  signal?: AbortSignal;
}

export async function waitForSsh(host: string, options: WaitForSshOptions): Promise<void> {
  const { port = 22, timeoutMs = 60_000, signal } = options;
  const deadline = Date.now() + timeoutMs;
  let delay = options.intervalMs ?? 50;
  for (;;) {
    if (signal?.aborted) throw new CancelledError();
    if (await sshBanner(host, port, Math.min(5_000, Math.max(500, deadline - Date.now())))) return;
    if (Date.now() + delay > deadline) {
      throw new ProviderError(options.provider, `${host}:${port}: SSH did not answer within ${Math.round(timeoutMs / 1000)} s`, { host, port });
    }
    await pause(delay, signal);
    delay = Math.min(delay * 1.5, options.maxIntervalMs ?? 1_000);
  }
}

function sshBanner(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('data', (data: Buffer) => done(data.toString('latin1').startsWith('SSH-')));
    socket.once('error', () => done(false));
    socket.once('close', () => done(false));
  });
}

function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new CancelledError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
