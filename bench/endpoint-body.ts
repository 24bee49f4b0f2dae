// The CloudStack endpoint's memory under a large unsigned POST: an endpoint in a child
// process (stub node backend, no root), one raw-socket POST of N MB per variant
// (Content-Length, chunked), the child's RSS before, its peak (VmHWM) and after, and
// whether it still answers. `--src DIR` benches another copy of src/ (e.g. an older
// commit: `git archive <commit> src | tar -x -C .tmp/before`).
//   npx tsx bench/endpoint-body.ts [--mb 256] [--src DIR]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = resolve(import.meta.dirname, '..');
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1]! : fallback;
};

/** Child: an endpoint whose backend makes no nodes; prints its URL, runs until killed. */
async function serve(src: string): Promise<void> {
  const mod = (await import(pathToFileURL(join(src, 'endpoint/cloudstack/index.ts')).href)) as typeof import('../src/endpoint/cloudstack/index.ts');
  const dir = mkdtempSync(join(tmpdir(), 'fl-bench-ep-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  process.once('SIGTERM', () => process.exit(0));
  const none = async () => {};
  const backend = {
    create: async () => ({ nodeId: 'n', address: '10.0.0.1' }),
    ...{ fits: none, destroy: none, setIngress: none, stop: none, start: none, reboot: none, setHardware: none, setAuthorizedKeys: none },
    power: async () => new Map(),
  };
  const ep = await mod.startEndpoint({ port: 0, dataFile: join(dir, 'ep.json'), apiKey: 'bench-key', secretKey: 'bench-secret', backend });
  process.stdout.write(`${ep.url}\n`);
}

const kib = (field: string, pid: number) => {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
};
const mib = (k: number) => (k / 1024).toFixed(0);

async function bench(): Promise<void> {
  const mb = Number(arg('--mb', '256'));
  const src = resolve(arg('--src', join(ROOT, 'src')));
  const rows: string[] = [];
  for (const variant of ['content-length', 'chunked'] as const) {
    const child = spawn(process.execPath, ['--import', 'tsx', import.meta.filename, 'serve', src], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    const url = new URL(await new Promise<string>((done) => child.stdout!.once('data', (d) => done(String(d).trim()))));
    const pid = child.pid!;
    try {
      const before = kib('VmRSS', pid);
      const t0 = performance.now();
      const r = await post(url, mb, variant);
      const ms = performance.now() - t0;
      const peak = kib('VmHWM', pid);
      const after = kib('VmRSS', pid);
      const alive = await status(url);
      rows.push(`| ${variant} | ${r.answer} | ${(r.sent / 2 ** 20).toFixed(1)} | ${mib(before)} | ${mib(peak)} | ${mib(after)} | ${(ms / 1000).toFixed(1)} | ${alive} |`);
    } finally {
      child.kill('SIGTERM');
    }
  }
  console.log(`\nunsigned POST of ${mb} MiB to the endpoint (src: ${src})\n`);
  console.log('| body sent as | answer | MiB the client wrote | RSS before MiB | peak RSS (VmHWM) MiB | RSS after MiB | s | then GET answers |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const row of rows) console.log(row);
}

/** POST `mb` MiB of 'a' over a raw socket; stops writing when an answer or a close arrives. */
function post(url: URL, mb: number, variant: 'content-length' | 'chunked'): Promise<{ answer: string; sent: number }> {
  return new Promise((done) => {
    const socket = connect(Number(url.port), url.hostname);
    let sent = 0;
    let answer = '';
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      socket.destroy();
      done({ answer: answer || 'connection closed, no answer', sent });
    };
    socket.on('data', (d) => {
      answer ||= String(d).split('\r\n')[0]!;
      finish();
    });
    socket.on('error', finish);
    socket.on('close', finish);
    const chunk = Buffer.alloc(2 ** 20, 'a');
    const head = variant === 'chunked' ? 'transfer-encoding: chunked' : `content-length: ${mb * 2 ** 20}`;
    socket.write(`POST ${url.pathname} HTTP/1.1\r\nhost: ${url.host}\r\ncontent-type: application/x-www-form-urlencoded\r\n${head}\r\n\r\n`);
    void (async () => {
      for (let i = 0; i < mb && !finished; i++) {
        const data = variant === 'chunked' ? Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]) : chunk;
        const ok = socket.write(data);
        sent += chunk.length;
        if (!ok && !finished) {
          await new Promise<void>((r) => {
            const go = () => (socket.off('drain', go).off('close', go), r());
            socket.on('drain', go).on('close', go);
          });
        }
      }
      if (!finished && variant === 'chunked') socket.write('0\r\n\r\n');
    })();
  });
}

async function status(url: URL): Promise<string> {
  try {
    return String((await fetch(`${url.href}?command=listZones`)).status);
  } catch (e) {
    return `no (${(e as Error).message})`;
  }
}

if (process.argv[2] === 'serve') await serve(process.argv[3]!);
else await bench();
