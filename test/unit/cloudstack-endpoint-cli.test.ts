// `forklift cloudstack-endpoint` as its operator runs it: a wrong flag, a port in use, a
// corrupt data file, empty credentials → one `forklift:` line naming the value, no stack;
// a running endpoint survives a malformed request. No root: VMs are never made here (the
// local backend is only used once a VM is deployed).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { encodeForm } from '../../src/providers/cloudstack/http.ts';
import { signRequest } from '../../src/providers/cloudstack/sign.ts';
import { BIN, forklift, ROOT } from '../e2e/helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'forklift-cs-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const noCreds = { CLOUDSTACK_KEY: undefined, CLOUDSTACK_SECRET: undefined };
const endpoint = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  forklift(['cloudstack-endpoint', '--data-file', join(dir, 'endpoint.json'), ...args], ROOT, { ...noCreds, ...env });

function oneLine(stderr: string, expected: RegExp): void {
  assert.match(stderr, expected);
  assert.equal(stderr.split('\n').length, 2, `one line: ${stderr}`);
  assert.doesNotMatch(stderr, /\n\s+at /);
}

describe('cloudstack-endpoint: operator mistakes are one line, no stack', () => {
  test('--port abc exits 2 naming the value', { timeout: 60_000 }, async () => {
    const run = await endpoint(['--port', 'abc']);
    assert.equal(run.code, 2);
    oneLine(run.stderr, /^forklift: option '--port <n>' argument 'abc' is invalid\. "abc" is not a port number \(0-65535\)\n$/);
    const fault = await endpoint(['--port', '0', '--rate-limit-every', '0']);
    assert.equal(fault.code, 2);
    oneLine(fault.stderr, /^forklift: option '--rate-limit-every <n>' argument '0' is invalid\. "0" is not a whole number of at least 1\n$/);
  });

  test('a port in use exits 1 naming the address', { timeout: 60_000 }, async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const { port } = taken.address() as AddressInfo;
    try {
      const run = await endpoint(['--port', String(port)]);
      assert.equal(run.code, 1);
      oneLine(run.stderr, new RegExp(`^forklift: cloudstack-endpoint: cannot listen on 127\\.0\\.0\\.1:${port}: the address is in use`));
    } finally {
      taken.close();
    }
  });

  test('a corrupt data file exits 1 naming the file', { timeout: 60_000 }, async () => {
    const file = join(dir, 'corrupt.json');
    writeFileSync(file, '{"vms": [{"id": ');
    const run = await forklift(['cloudstack-endpoint', '--port', '0', '--data-file', file], ROOT, noCreds);
    assert.equal(run.code, 1);
    oneLine(run.stderr, new RegExp(`^forklift: cloudstack-endpoint: the data file ${file.replace(/[.]/g, '\\.')} is not valid JSON \\(.+\\); repair it, or move it away`));
  });

  test('an empty CLOUDSTACK_KEY or CLOUDSTACK_SECRET exits 1 naming it', { timeout: 60_000 }, async () => {
    const key = await endpoint(['--port', '0'], { CLOUDSTACK_KEY: '', CLOUDSTACK_SECRET: 'x' });
    assert.equal(key.code, 1);
    oneLine(key.stderr, /^forklift: cloudstack-endpoint: CLOUDSTACK_KEY is set but empty/);
    const secret = await endpoint(['--port', '0'], { CLOUDSTACK_SECRET: ' ' });
    assert.equal(secret.code, 1);
    oneLine(secret.stderr, /^forklift: cloudstack-endpoint: CLOUDSTACK_SECRET is set but empty/);
  });
});

test('a running endpoint answers GET // with 400 and goes on serving signed requests', { timeout: 60_000 }, async () => {
  const dataFile = join(dir, 'running.json');
  const child = spawn(process.execPath, [BIN, 'cloudstack-endpoint', '--port', '0', '--data-file', dataFile], {
    env: { ...process.env, ...noCreds },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((r) => child.once('exit', r));
  try {
    const url = await new Promise<string>((done, fail) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        const m = /CloudStack endpoint on (\S+)/.exec(out);
        if (m) done(m[1]!);
      });
      void exited.then((code) => fail(new Error(`exited ${code} before serving`)));
    });
    const { port } = new URL(url);
    const status = await new Promise<string>((done) => {
      const socket = connect(Number(port), '127.0.0.1', () => socket.write('GET // HTTP/1.1\r\nhost: x\r\n\r\n'));
      socket.once('data', (d) => (done(String(d).split('\r\n')[0]!), socket.destroy()));
      socket.once('close', () => done('closed without an answer'));
    });
    assert.equal(status, 'HTTP/1.1 400 Bad Request');
    const env = Object.fromEntries(readFileSync(`${dataFile}.env`, 'utf8').trim().split('\n').map((l) => l.split(/=(.*)/).slice(0, 2)));
    const res = await fetch(`${url}?${encodeForm(signRequest({ command: 'listZones' }, env.CLOUDSTACK_KEY!, env.CLOUDSTACK_SECRET!))}`);
    assert.equal(res.status, 200);
  } finally {
    child.kill('SIGTERM');
  }
  assert.equal(await exited, 0);
});
