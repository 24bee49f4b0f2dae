// The endpoint survives anyone: malformed requests over raw sockets, oversized bodies,
// forged or long-lived signatures, a corrupt data file, a data file that cannot be written.
// Fake node backend (no LXC); rule enforcement on real nodes: test/e2e/cloudstack-endpoint.test.ts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { encodeForm } from '../../src/providers/cloudstack/http.ts';
import { isoSeconds, signature, signRequest } from '../../src/providers/cloudstack/sign.ts';
import { readBody } from '../../src/endpoint/cloudstack/body.ts';
import { EndpointError, MAX_BODY_BYTES, MAX_EXPIRES_AHEAD_MS, startEndpoint, type Endpoint } from '../../src/endpoint/cloudstack/index.ts';
import { fakeBackend } from './cloudstack-fake-backend.ts';

const KEY = 'hostile-key';
const SECRET = 'hostile-secret';
const dir = mkdtempSync(join(tmpdir(), 'forklift-cs-hostile-'));
const logged: string[] = [];
const log = (m: string) => logged.push(m);
const fake = fakeBackend();
const start = (name: string, extra: Partial<Parameters<typeof startEndpoint>[0]> = {}) =>
  startEndpoint({ port: 0, dataFile: join(dir, name, 'endpoint.json'), apiKey: KEY, secretKey: SECRET, backend: fake, log, ...extra });

let endpoint: Endpoint;
let port: number;
before(async () => {
  endpoint = await start('main');
  port = Number(new URL(endpoint.url).port);
});
after(async () => {
  await endpoint.close();
  rmSync(dir, { recursive: true, force: true });
});

interface RawAnswer {
  /** 0 when the connection closed without an answer. */
  status: number;
  body: string;
  /** Bytes the client managed to write before the answer (or the close). */
  written: number;
}

/**
 * Send `head` (and then `body`, chunk by chunk, while no answer has come) over a raw socket;
 * resolves with the first answer's status, or 0 when the endpoint closed without one.
 */
function raw(head: string | Buffer, body: { chunk: Buffer; times: number; chunked?: boolean; end?: boolean } = { chunk: Buffer.alloc(0), times: 0 }): Promise<RawAnswer> {
  return new Promise((done, fail) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    let written = 0;
    let over = false;
    const finish = () => {
      if (over) return;
      over = true;
      socket.destroy();
      const m = /^HTTP\/1\.1 (\d{3})/.exec(received);
      done({ status: m ? Number(m[1]) : 0, body: received.slice(received.indexOf('\r\n\r\n') + 4), written });
    };
    socket.on('data', (d) => {
      received += d;
      const end = received.indexOf('\r\n\r\n');
      const length = /content-length: (\d+)/i.exec(received)?.[1];
      if (end >= 0 && length !== undefined && received.length >= end + 4 + Number(length)) finish();
    });
    socket.on('close', finish);
    socket.on('error', () => finish());
    socket.setTimeout(20_000, () => fail(new Error('no answer and no close within 20 s')));
    socket.write(head);
    void (async () => {
      for (let i = 0; i < body.times && !over; i++) {
        const data = body.chunked ? Buffer.concat([Buffer.from(`${body.chunk.length.toString(16)}\r\n`), body.chunk, Buffer.from('\r\n')]) : body.chunk;
        const ok = socket.write(data);
        written += body.chunk.length;
        if (!ok && !over) await new Promise<void>((r) => {
          const go = () => (socket.off('drain', go).off('close', go), r());
          socket.on('drain', go).on('close', go);
        });
      }
      if (body.end && !over) socket.end();
    })();
  });
}

const get = (target: string, headers = 'host: x\r\nconnection: close\r\n') => `GET ${target} HTTP/1.1\r\n${headers}\r\n`;

async function signedStatus(params: Record<string, string>, ep = endpoint): Promise<number> {
  return (await fetch(`${ep.url}?${encodeForm(params)}`)).status;
}
const alive = async () => assert.equal(await signedStatus(signRequest({ command: 'listZones' }, KEY, SECRET)), 200, 'the endpoint still serves');

describe('malformed requests get an HTTP error, and the endpoint goes on serving', () => {
  const MB = Buffer.alloc(1024 * 1024, 'a');
  const cases: Array<[string, () => Promise<RawAnswer>, number]> = [
    ['GET // (no credentials): new URL threw in an unawaited handler', () => raw(get('//')), 400],
    ['GET // without a Host header', () => raw('GET // HTTP/1.1\r\n\r\n'), 400],
    ['GET //:99999/', () => raw(get('//:99999/')), 400],
    ['GET http://[ (absolute form, broken)', () => raw(get('http://[')), 400],
    ['GET http:// (absolute form, no host)', () => raw(get('http://')), 400],
    ['GET * (asterisk form)', () => raw(get('*')), 401],
    ['bad percent-encoding in path and query', () => raw(get('/client/api?%zz=%E0&apikey&command=%')), 401],
    ['__proto__ and constructor as parameters, command=__proto__', () => raw(get('/client/api?__proto__=1&constructor=x&command=__proto__&apikey=hostile-key&signature=x')), 401],
    ['OPTIONS *', () => raw('OPTIONS * HTTP/1.1\r\nhost: x\r\n\r\n'), 405],
    ['PUT with a body', () => raw('PUT /client/api HTTP/1.1\r\nhost: x\r\ncontent-length: 3\r\n\r\nabc'), 405],
    ['CONNECT', () => raw('CONNECT example:443 HTTP/1.1\r\nhost: example:443\r\n\r\n'), 405],
    ['Upgrade: websocket', () => raw(get('/client/api', 'host: x\r\nconnection: upgrade\r\nupgrade: websocket\r\n')), 401],
    ['a TLS ClientHello instead of HTTP', () => raw(Buffer.from('16030100a5010000a10303', 'hex')), 400],
    ['NUL bytes and garbage', () => raw(Buffer.from([0, 1, 2, 255, 13, 10, 13, 10])), 400],
    ['a 20 KB header', () => raw(get('/client/api', `host: x\r\nx-big: ${'b'.repeat(20_000)}\r\n`)), 431],
    ['Content-Length: -1', () => raw('POST /client/api HTTP/1.1\r\nhost: x\r\ncontent-length: -1\r\n\r\n'), 400],
    ['Content-Length and Transfer-Encoding both (smuggling)', () => raw('POST /client/api HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n'), 400],
    ['a body shorter than its Content-Length, then the client leaves', () => raw('POST /client/api HTTP/1.1\r\nhost: x\r\ncontent-length: 50\r\n\r\nabc', { chunk: Buffer.alloc(0), times: 0, end: true }), 0],
    ['unsigned POST declaring 256 MB (Content-Length), 64 MB sent', () => raw(`POST /client/api HTTP/1.1\r\nhost: x\r\ncontent-length: ${256 * 2 ** 20}\r\n\r\n`, { chunk: MB, times: 64 }), 413],
    ['unsigned chunked POST of up to 256 MB', () => raw('POST /client/api HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n', { chunk: MB, times: 256, chunked: true }), 413],
  ];
  let answered = 0;
  for (const [what, send, status] of cases) {
    test(what, async () => {
      const a = await send();
      // A client that leaves mid-body may get node's own 400 or no answer: either is fine.
      if (what.startsWith('a body shorter')) assert.ok([0, 400].includes(a.status), `status ${a.status}`);
      else assert.equal(a.status, status, a.body);
      if (status === 413) {
        assert.match(a.body, /larger than 1048576 bytes/);
        assert.ok(a.written < 64 * 2 ** 20, `the answer came while the client was still sending (after ${a.written} bytes), not after the whole body`);
      }
      answered++;
      await alive();
    });
  }
  test(`all ${cases.length} hostile requests were answered or closed, and the endpoint still serves`, async () => {
    assert.equal(answered, cases.length);
    await alive();
  });
});

describe('bodies are bounded before authentication', () => {
  /** A body of `total` bytes made as it is read; counts what was pulled from it. */
  function lazyBody(total: number) {
    const stats = { produced: 0 };
    const stream = new Readable({
      read() {
        if (stats.produced >= total) return void this.push(null);
        const n = Math.min(64 * 1024, total - stats.produced);
        stats.produced += n;
        this.push(Buffer.alloc(n, 'a'));
      },
    });
    return { stream, stats };
  }

  test('a 256 MB body is refused after reading at most the limit and a chunk, and reading stops', async () => {
    const { stream, stats } = lazyBody(256 * 2 ** 20);
    const body = await readBody(stream, MAX_BODY_BYTES);
    assert.equal(body.kind, 'too-large');
    const pulled = stats.produced;
    assert.ok(pulled <= MAX_BODY_BYTES + 2 * 64 * 1024, `pulled ${pulled} bytes`);
    await new Promise((r) => setImmediate(r));
    assert.equal(stats.produced, pulled, 'nothing is read after the refusal');
  });

  test('a declared Content-Length over the limit is refused without reading a byte', async () => {
    const { stream, stats } = lazyBody(10);
    Object.assign(stream, { headers: { 'content-length': String(MAX_BODY_BYTES + 1) } });
    assert.deepEqual(await readBody(stream), { kind: 'too-large', read: 0 });
    assert.equal(stats.produced, 0);
  });

  test('a body of exactly the limit is read; a signed POST of 900 KB works', async () => {
    const { stream } = lazyBody(MAX_BODY_BYTES);
    const body = await readBody(stream);
    assert.equal(body.kind === 'body' && body.text.length, MAX_BODY_BYTES);
    const params = signRequest({ command: 'createSecurityGroup', name: 'big', description: 'd'.repeat(900_000) }, KEY, SECRET);
    const res = await fetch(endpoint.url, { method: 'POST', body: new URLSearchParams(params) });
    assert.equal(res.status, 200);
  });
});

describe('signatures', () => {
  const at = (ms: number) => isoSeconds(new Date(Date.now() + ms));
  /** Sign exactly these parameters (no version or expiry added). */
  const signed = (params: Record<string, string>) => ({ ...params, signature: signature(params, SECRET) });
  const base = { command: 'listZones', apikey: KEY };

  test('v3: expires in the past, beyond the maximum lifetime, or not ISO 8601 is refused', async () => {
    assert.equal(await signedStatus(signed({ ...base, signatureversion: '3', expires: at(MAX_EXPIRES_AHEAD_MS - 60_000) })), 200);
    assert.equal(await signedStatus(signed({ ...base, signatureversion: '3', expires: at(-60_000) })), 401);
    assert.equal(await signedStatus(signed({ ...base, signatureversion: '3', expires: at(MAX_EXPIRES_AHEAD_MS + 60_000) })), 401);
    assert.equal(await signedStatus(signed({ ...base, signatureversion: '3', expires: '9999-12-31T23:59:59+0000' })), 401);
    assert.equal(await signedStatus(signed({ ...base, signatureversion: '3', expires: '2099' })), 401);
    assert.equal(await signedStatus(signed({ ...base, signatureversion: '3' })), 401);
    assert.match(logged.join('\n'), /more than 60 minutes ahead/);
  });

  test('any signatureversion other than 3 gets no expiry bypass: it is refused', async () => {
    for (const version of ['2', '4', '03', '3 ', '', 'three']) {
      assert.equal(await signedStatus(signed({ ...base, signatureversion: version, expires: at(-3_600_000) })), 401, `signatureversion ${JSON.stringify(version)}`);
      assert.equal(await signedStatus(signed({ ...base, signatureversion: version })), 401, `signatureversion ${JSON.stringify(version)} without expires`);
    }
  });

  test('v1 (no expiry) is accepted, as CloudStack accepts it; an expires it carries still counts; requireExpiry refuses v1', async () => {
    assert.equal(await signedStatus(signed(base)), 200);
    assert.equal(await signedStatus(signed({ ...base, expires: at(-60_000) })), 401);
    const strict = await start('strict', { requireExpiry: true });
    try {
      assert.equal(await signedStatus(signed(base), strict), 401);
      assert.equal(await signedStatus(signRequest({ command: 'listZones' }, KEY, SECRET), strict), 200);
    } finally {
      await strict.close();
    }
  });

  test('empty credentials are refused at start', async () => {
    await assert.rejects(start('nokey', { apiKey: '' }), (e: Error) => e instanceof EndpointError && /API key is empty/.test(e.message));
    await assert.rejects(start('nosecret', { secretKey: '  ' }), (e: Error) => e instanceof EndpointError && /secret key is empty/.test(e.message));
  });
});

describe('the data file', () => {
  const fileIn = (name: string, text: string) => {
    mkdirSync(join(dir, name), { recursive: true });
    writeFileSync(join(dir, name, 'endpoint.json'), text);
    return join(dir, name, 'endpoint.json');
  };

  test('a corrupt data file is one clear error naming it, and is left as it was', async () => {
    const broken = fileIn('corrupt', '{"vms": [');
    await assert.rejects(start('corrupt'), (e: Error) => e instanceof EndpointError && e.message.includes(`the data file ${broken} is not valid JSON`) && !e.message.includes('\n'));
    assert.equal(readFileSync(broken, 'utf8'), '{"vms": [');
    fileIn('shape', '{"vms": 5, "jobs": [{"jobid": 1}]}');
    await assert.rejects(start('shape'), /is not an endpoint's state: vms: .*; jobs\.0\.jobid/);
    mkdirSync(join(dir, 'isdir', 'endpoint.json'), { recursive: true });
    await assert.rejects(start('isdir'), /cannot be read \(EISDIR/);
  });

  test('a state write that fails is logged, never fatal; the change is written once writing works again', async () => {
    const ep = await start('unwritable');
    const folder = join(dir, 'unwritable');
    try {
      rmSync(folder, { recursive: true, force: true });
      writeFileSync(folder, 'a file where the data folder was'); // every write now fails (EEXIST from mkdir)
      const call = (params: Record<string, string>) => fetch(`${ep.url}?${encodeForm(signRequest({ ...params, response: 'json' }, KEY, SECRET))}`).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));
      assert.equal((await call({ command: 'createSecurityGroup', name: 'while-failing' })).status, 200);
      const { body } = await call({ command: 'authorizeSecurityGroupIngress', securitygroupname: 'while-failing', protocol: 'UDP', startport: '53', cidrlist: '10.0.0.0/8' });
      const jobid = body.authorizesecuritygroupingressresponse.jobid;
      let job: any;
      do job = (await call({ command: 'queryAsyncJobResult', jobid })).body.queryasyncjobresultresponse;
      while (job.jobstatus === 0);
      assert.equal(job.jobstatus, 1);
      assert.match(logged.join('\n'), /cannot write the data file .*unwritable.*\(EEXIST/);
      rmSync(folder);
      mkdirSync(folder);
      assert.equal((await call({ command: 'listZones' })).status, 200);
      assert.equal((await call({ command: 'createSecurityGroup', name: 'after' })).status, 200);
      const saved = JSON.parse(readFileSync(join(folder, 'endpoint.json'), 'utf8'));
      assert.deepEqual(saved.securityGroups.map((g: { name: string }) => g.name).sort(), ['after', 'while-failing']);
      assert.match(logged.join('\n'), /is written again/);
    } finally {
      await ep.close();
    }
  });
});
