// Client behaviour against a stub HTTP server (faults a real cloud cannot be made to show on
// demand): retries on 429 and dropped connections, no blind retry of a non-idempotent call,
// paging, async jobs, POST for large parameters, error messages without credentials.
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloudStackClient } from '../../src/providers/cloudstack/client.ts';
import { CloudStackError } from '../../src/providers/cloudstack/errors.ts';
import { signature } from '../../src/providers/cloudstack/sign.ts';

const KEY = 'stub-key';
const SECRET = 'stub-secret-value';
type Reply = { status: number; body: unknown } | 'drop';
let handler: (p: Record<string, string>, n: number, method: string) => Reply;
let requests: Array<Record<string, string>> = [];
let server: http.Server;
let client: CloudStackClient;

before(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const url = new URL(req.url!, 'http://x');
      const p = Object.fromEntries([...url.searchParams, ...new URLSearchParams(body)]);
      requests.push(p);
      const { signature: sig, ...rest } = p;
      if (sig !== signature(rest, SECRET)) {
        res.writeHead(401, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ errorresponse: { errorcode: 401, errortext: 'bad signature' } }));
      }
      const reply = handler(p, requests.length, req.method!);
      if (reply === 'drop') return req.socket.destroy();
      res.writeHead(reply.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  client = new CloudStackClient({ endpoint: `http://127.0.0.1:${port}/client/api`, apiKey: KEY, secretKey: SECRET, backoffMs: 5, pollMs: 5, attempts: 4 });
});
after(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => (requests = []));

const ok = (cmd: string, inner: unknown): Reply => ({ status: 200, body: { [`${cmd.toLowerCase()}response`]: inner } });
const err = (cmd: string, code: number, text: string): Reply => ({ status: code, body: { [`${cmd.toLowerCase()}response`]: { errorcode: code, cserrorcode: 9999, errortext: text } } });

test('429 is retried with backoff until it passes', async () => {
  handler = (p, n) => (n < 3 ? err(p.command!, 429, 'slow down') : ok(p.command!, { count: 1, zone: [{ id: 'z' }] }));
  assert.deepEqual(await client.list('listZones'), [{ id: 'z' }]);
  assert.equal(requests.length, 3);
});

test('a 429 that never ends becomes an error naming command, status, errorcode and errortext', async () => {
  handler = (p) => err(p.command!, 429, 'rate limit exceeded');
  await assert.rejects(client.call('listZones'), (e: CloudStackError) => {
    assert.equal(e.message, 'cloudstack: listZones failed, HTTP 429: rate limit exceeded');
    assert.equal(e.errorcode, 429);
    return true;
  });
  assert.equal(requests.length, 4);
});

test('533 on deploy is reported, not retried by the client', async () => {
  handler = (p) => err(p.command!, 533, 'Insufficient capacity');
  await assert.rejects(client.call('deployVirtualMachine', { name: 'a' }), /deployVirtualMachine failed, HTTP 533: Insufficient capacity/);
  assert.equal(requests.length, 1);
});

test('a dropped connection is retried for a list, never for a deploy', async () => {
  handler = (p, n) => (n === 1 ? 'drop' : ok(p.command!, {}));
  assert.deepEqual(await client.list('listVirtualMachines'), []);
  assert.equal(requests.length, 2);
  requests = [];
  handler = () => 'drop';
  await assert.rejects(client.call('deployVirtualMachine', { name: 'a' }), /not retried: the call may have been carried out/);
  assert.equal(requests.length, 1);
});

test('lists follow every page, with or without count', async () => {
  const items = Array.from({ length: 1003 }, (_, i) => ({ id: String(i) }));
  handler = (p) => {
    const size = Number(p.pagesize);
    const page = items.slice((Number(p.page) - 1) * size, Number(p.page) * size);
    return ok(p.command!, page.length ? { virtualmachine: page } : {});
  };
  const all = await client.list<{ id: string }>('listVirtualMachines');
  assert.equal(all.length, 1003);
  assert.deepEqual(requests.map((r) => r.page), ['1', '2', '3']);
  assert.ok(requests.every((r) => r.pagesize === '500'));
});

test('async jobs are polled until they end; a failed job names its errorcode and errortext', async () => {
  handler = (p, n) =>
    p.command === 'deployVirtualMachine' ? ok(p.command, { id: 'vm1', jobid: 'j1' })
      : n < 4 ? ok(p.command!, { jobid: 'j1', jobstatus: 0 })
      : ok(p.command!, { jobid: 'j1', jobstatus: 1, jobresult: { virtualmachine: { id: 'vm1' } } });
  assert.deepEqual(await client.job('deployVirtualMachine', { name: 'a' }), { virtualmachine: { id: 'vm1' } });
  assert.equal(requests.filter((r) => r.command === 'queryAsyncJobResult').length, 3);
  handler = (p) =>
    p.command === 'createTags' ? ok(p.command, { jobid: 'j2' })
      : ok(p.command!, { jobid: 'j2', jobstatus: 2, jobresultcode: 530, jobresult: { errorcode: 431, errortext: 'tag exists' } });
  await assert.rejects(client.job('createTags', {}), /createTags failed, errorcode 431: job j2 failed: tag exists/);
});

test('a job that never ends times out', async () => {
  const slow = new CloudStackClient({ ...(client as any).opts, jobTimeoutMs: 60 });
  handler = (p) => (p.command === 'stopVirtualMachine' ? ok(p.command, { jobid: 'j3' }) : ok(p.command!, { jobid: 'j3', jobstatus: 0 }));
  await assert.rejects(slow.job('stopVirtualMachine', { id: 'x' }), /job j3 still pending/);
});

test('large parameters go as a signed POST; empty values are left out', async () => {
  handler = (p, _n, method) => ok(p.command!, { method, size: p.userdata?.length ?? 0 });
  const userdata = Buffer.from('x'.repeat(20_000)).toString('base64');
  assert.deepEqual(await client.call('deployVirtualMachine', { userdata, keypair: '' }), { method: 'POST', size: userdata.length });
  assert.equal('keypair' in requests[0]!, false);
  assert.deepEqual(await client.call('listZones'), { method: 'GET', size: 0 });
  assert.equal(requests[1]!.apikey, KEY);
  assert.equal(requests[1]!.signatureversion, '3');
});

test('errors and logs never carry the secret, the api key or the signature', async () => {
  const logs: string[] = [];
  const logged = new CloudStackClient({ ...(client as any).opts, log: (m: string) => logs.push(m) });
  handler = (p, n) =>
    n === 1 ? err(p.command!, 429, 'busy') : err(p.command!, 530, `failed on /client/api?apikey=${KEY}&signature=${p.signature}&x=${SECRET}`);
  await assert.rejects(logged.call('listZones'), (e: Error) => {
    assert.ok(!e.message.includes(SECRET) && !e.message.includes(KEY));
    assert.match(e.message, /signature=\*\*\*/);
    return true;
  });
  assert.ok(logs.length > 0 && logs.every((m) => !m.includes(SECRET) && !m.includes(KEY)));
});
