// The CloudStack-compatible endpoint for a test file: started on a free loopback port with
// its own data file and credentials; its VMs are local nodes of a stack registered with the
// nodes fixture. At the end every VM is expunged through the API, then the endpoint stops
// (its nodes are removed by name by the fixture whatever happened).
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after } from 'node:test';
import assert from 'node:assert/strict';
import { startEndpoint, type Endpoint, type Faults } from '../../src/endpoint/cloudstack/index.ts';
import { CloudStackClient, createProvider } from '../../src/providers/cloudstack/index.ts';
import type { Provider } from '../../src/providers/types.ts';
import { ssh as sshRun, stackName } from './nodes.ts';

export interface TestEndpoint {
  readonly url: string;
  readonly client: CloudStackClient;
  readonly apiKey: string;
  readonly secretKey: string;
  /** The local stack that holds the VMs' nodes. */
  readonly localStack: string;
  /** Where providers made by `provider()` keep stack keys. */
  readonly keyDir: string;
  readonly tmp: string;
  /** (Re)start on the same port and data file, with these faults: a restart must lose nothing. */
  open(faults?: Faults): Promise<void>;
  close(): Promise<void>;
  /** A cloudstack provider talking to this endpoint. */
  provider(): Provider;
  /** CLOUDSTACK_* for a CLI run against this endpoint. */
  env(): NodeJS.ProcessEnv;
}

export const log = (m: string) => console.error(`endpoint: ${m}`);

export function testEndpoint(prefix: string): TestEndpoint {
  const localStack = stackName(`${prefix}l`);
  const tmp = mkdtempSync(join(tmpdir(), `fl-${prefix}-`));
  const dataFile = join(tmp, 'endpoint.json');
  const apiKey = `key-${process.pid}`;
  const secretKey = `secret-${process.pid}-+/=`;
  let endpoint: Endpoint | undefined;
  let client: CloudStackClient | undefined;
  let port = 0;
  const t: TestEndpoint = {
    get url() {
      if (!endpoint) throw new Error('the test endpoint is not open');
      return endpoint.url;
    },
    get client() {
      if (!client) throw new Error('the test endpoint is not open');
      return client;
    },
    apiKey,
    secretKey,
    localStack,
    keyDir: join(tmp, 'keys'),
    tmp,
    async open(faults = {}) {
      await endpoint?.close();
      endpoint = await startEndpoint({ port, dataFile, apiKey, secretKey, faults, localStack, log });
      port = Number(new URL(endpoint.url).port);
      client = new CloudStackClient({ endpoint: endpoint.url, apiKey, secretKey, pollMs: 50, backoffMs: 50 });
    },
    async close() {
      await endpoint?.close();
      endpoint = undefined;
    },
    provider: () => createProvider({ endpoint: t.url, apiKey, secretKey, keyDir: t.keyDir, backoffMs: 50 }, { log }),
    env: () => ({ CLOUDSTACK_ENDPOINT: t.url, CLOUDSTACK_KEY: apiKey, CLOUDSTACK_SECRET: secretKey }),
  };
  after(async () => {
    if (endpoint && client) {
      // Destroyed VMs are listed too: each is expunged.
      for (const vm of await client.list<{ id: string }>('listVirtualMachines').catch(() => [])) {
        await client.job('destroyVirtualMachine', { id: vm.id, expunge: 'true' }).catch(() => {});
      }
    }
    await t.close();
    rmSync(tmp, { recursive: true, force: true });
  });
  return t;
}

/** Debian's python, where apt installs python3-cs and python3-libcloud (not a pyenv one on PATH). */
export const PYTHON = '/usr/bin/python3';
const execFileAsync = promisify(execFile);

export interface PythonRun {
  code: number;
  out: string;
  err: string;
}

/** Run Debian's python3 (asynchronously: the endpoint answers from this same process). */
export async function python(args: string[], env: NodeJS.ProcessEnv = {}): Promise<PythonRun> {
  try {
    const { stdout, stderr } = await execFileAsync(PYTHON, args, { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 300_000 });
    return { code: 0, out: stdout, err: stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, out: e.stdout ?? '', err: e.stderr ?? '' };
  }
}

/** The python cs client as its users run it (`python3 -m cs command key=value...`), with this endpoint's settings. */
export function csClient(ep: TestEndpoint) {
  const env = () => ({ CLOUDSTACK_ENDPOINT: ep.url, CLOUDSTACK_KEY: ep.apiKey, CLOUDSTACK_SECRET: ep.secretKey, CLOUDSTACK_POLL_INTERVAL: '0.3' });
  const run = (args: string[], secret?: string) => python(['-m', 'cs', ...args], { ...env(), ...(secret ? { CLOUDSTACK_SECRET: secret } : {}) });
  // The answers are whatever CloudStack returns: JSON objects read field by field by the tests.
  const cs = async (...args: string[]): Promise<any> => {
    const { code, out, err } = await run(args);
    if (code !== 0 || err.includes('CloudStack error')) throw new Error(`cs ${args.join(' ')} failed (${code}): ${err}${out}`);
    return out.trim() ? JSON.parse(out) : {}; // cs prints nothing for an empty answer ({})
  };
  return { cs, run };
}

/** A fresh ed25519 key pair in the endpoint's temp folder: [private key file, public key line]. */
export function userKey(ep: TestEndpoint, name: string): [string, string] {
  const file = join(ep.tmp, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', file]);
  return [file, readFileSync(`${file}.pub`, 'utf8').trim()];
}

/** A command that must succeed on a VM, as root with the given key. */
export function sshWith(host: string, keyFile: string, command: string): string {
  const r = sshRun(host, command, { key: keyFile });
  assert.equal(r.code, 0, `ssh ${host} ${command}: ${r.stderr}`);
  return r.stdout.trim();
}

/** What a VM's node says about itself: its boot id and its memory limit in MiB (cgroup v1 or v2). */
export function nodeFacts(host: string, keyFile: string): { bootId: string; memoryMiB: number } {
  const out = sshWith(host, keyFile, 'cat /proc/sys/kernel/random/boot_id; cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes');
  const [bootId, limit] = out.split('\n');
  return { bootId: bootId!, memoryMiB: Number(limit) / 2 ** 20 };
}
