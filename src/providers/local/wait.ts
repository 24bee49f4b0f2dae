// Wait until a node's sshd answers: TCP connect to port 22 and read the "SSH-" banner.
import { connect } from 'node:net';
import { CancelledError, ProviderError } from '../../errors.ts';

function bannerOnce(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('data', (data) => done(data.toString('latin1').startsWith('SSH-')));
    socket.once('error', () => done(false));
    socket.once('close', () => done(false));
  });
}

export async function waitForSsh(
  host: string,
  opts: { timeoutMs?: number; intervalMs?: number; signal?: AbortSignal; port?: number } = {},
): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  while (Date.now() < deadline) {
    if (opts.signal?.aborted) throw new CancelledError();
    if (await bannerOnce(host, opts.port ?? 22, 1000)) return;
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 50));
  }
  throw new ProviderError('local', `${host}: SSH did not answer within ${(opts.timeoutMs ?? 60_000) / 1000} s`);
}
