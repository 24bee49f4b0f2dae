// The CloudStack-compatible endpoint for a test file: started on a free loopback port with
// its own data file and credentials; its VMs are local nodes of a stack registered with the
// nodes fixture. At the end every VM is expunged through the API, then the endpoint stops
// (its nodes are removed by name by the fixture whatever happened).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { startEndpoint, type Endpoint, type Faults } from '../../src/endpoint/cloudstack/index.ts';
import { CloudStackClient, createProvider } from '../../src/providers/cloudstack/index.ts';
import type { Provider } from '../../src/providers/types.ts';
import { stackName } from './nodes.ts';

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
      for (const vm of await client.list<{ id: string }>('listVirtualMachines').catch(() => [])) {
        await client.job('destroyVirtualMachine', { id: vm.id, expunge: 'true' }).catch(() => {});
      }
    }
    await t.close();
    rmSync(tmp, { recursive: true, force: true });
  });
  return t;
}
