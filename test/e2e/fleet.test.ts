// Real fleets on real local nodes: facts read on the node (a node whose os-release says
// Ubuntu plans as Ubuntu), a no-op lift that is one exec per node per phase, a 50 MB file
// with NUL bytes from the repo (byte-exact; not sent again), a folder mirrored with
// delete, and settings: the db group publishes its port and a generated password, the app
// group writes them; the password shows in no output and stays the same run after run.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { loadConfig } from '../../src/config/load.ts';
import { converge } from '../../src/engine/converge.ts';
import { lift } from '../../src/engine/lift.ts';
import type { OperationResult } from '../../src/engine/results.ts';
import { containerName, createProvider, DEFAULT_LXC_PATH } from '../../src/providers/local/index.ts';
import { TAGS_FILE } from '../../src/providers/local/paths.ts';
import { decodeFacts } from '../../src/shell/facts.ts';
import { countingSsh } from './counting.ts';
import { leftovers, localNodes, ssh, stackName, testStack } from './nodes.ts';

const { stack, dir, cli } = testStack('tflt', (name) => `import { z } from 'zod';
import { defineConfig, defineSettings, directory, file, groupSpec, plan, secret, secretSchema, type NodeFacts } from 'forklift';

const db = defineSettings(z.object({ port: z.number().int().default(5432), password: secretSchema }));
const facts = (f: NodeFacts) => \`\${f.os.family} \${f.os.version} \${f.os.codename} like=\${f.os.like.join(',')} \${f.architecture} \${f.packageArchitecture} cpus=\${f.cpus} mem=\${f.memoryMiB} \${f.hostname} \${f.address}\\n\`;

export default defineConfig({
  stack: '${name}',
  groups: [
    groupSpec('db', {
      roles: ['db'],
      settings: db.values((ctx) => ({ password: ctx.generatedSecret('db-password') })),
      phases: { configure: plan((ctx) => file('/etc/db.conf', { content: secret(\`port=\${db.of(ctx).port}\\npassword=\${db.of(ctx).password.value}\\n\`), mode: '0600' })) },
    }),
    groupSpec('app', {
      phases: {
        configure: plan(
          (ctx) => {
            const node = ctx.nodesWithRole('db')[0]!;
            const d = db.of(node);
            return file('/etc/app/db.env', { content: secret(\`DB_HOST=\${node.address}\\nDB_PORT=\${d.port}\\nDB_PASSWORD=\${d.password.value}\\n\`), mode: '0600' });
          },
          file('/opt/app.bin', { source: new URL('./files/app.bin', import.meta.url), mode: '0755' }),
          file('/etc/motd', { source: new URL('./files/motd', import.meta.url) }),
          directory('/srv/site', { source: new URL('./site/', import.meta.url), delete: true }),
        ),
        report: plan((ctx) => file('/etc/forklift-facts', { content: facts(ctx.node.facts) })),
      },
    }),
  ],
});
`);

// The repo's files, made before the stack file is loaded.
const BIG = randomBytes(50 * 1024 * 1024);
for (let at = 0; at < BIG.length; at += 1 << 20) BIG.fill(0, at, at + 4096);
mkdirSync(join(dir, 'files'));
writeFileSync(join(dir, 'files', 'app.bin'), BIG);
writeFileSync(join(dir, 'files', 'motd'), 'welcome to the app\n');
mkdirSync(join(dir, 'site', 'css'), { recursive: true });
writeFileSync(join(dir, 'site', 'index.html'), '<h1>app</h1>\n');
writeFileSync(join(dir, 'site', 'css', 'app.css'), 'h1 { color: teal }\n');
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

const local = createProvider({}, { log: () => undefined });
const describeRun = (r: OperationResult) => JSON.stringify(r.nodes.map((n) => ({ name: n.name, error: n.error, actions: n.actions.map((a) => [a.name, a.status]) })));
const cat = (address: string, path: string) => {
  const r = ssh(address, `cat ${path}`);
  assert.equal(r.code, 0, `cat ${path}: ${r.stderr}`);
  return r.stdout;
};

describe('real fleets: facts, files from the repo, settings', { concurrency: false, timeout: 20 * 60_000 }, () => {
  let dbNode: { name: string; address: string };
  let apps: Array<{ name: string; address: string }>;
  let password: string;
  const outputs: string[] = [];

  before(async () => {
    const config = await loadConfig('forklift.config.ts', dir);
    const c = countingSsh();
    const made = await converge(config, { db: 1, app: 2 }, { transport: c.transport });
    assert.ok(made.ok, describeRun(made));
    outputs.push(JSON.stringify(made));
    dbNode = made.nodes.find((n) => n.group === 'db')!;
    apps = made.nodes.filter((n) => n.group === 'app');
    assert.ok(c.streamed() >= 2 * BIG.length, `streamed ${c.streamed()} bytes`);
    password = (await local.listNodes(stack)).find((n) => n.group === 'db')!.tags['forklift-secret-db-password']!;
    assert.match(password, /^[A-Za-z0-9_-]{32}$/);
  });

  test('the 50 MB file with NUL bytes is byte-exact on every app node; the folder is mirrored; a small file went inline', () => {
    for (const app of apps) {
      assert.equal(ssh(app, 'sha256sum </opt/app.bin').stdout, `${sha(BIG)}  -\n`);
      assert.equal(ssh(app, 'stat -c %a /opt/app.bin').stdout, '755\n');
      assert.equal(cat(app.address, '/etc/motd'), 'welcome to the app\n');
      assert.equal(cat(app.address, '/srv/site/css/app.css'), 'h1 { color: teal }\n');
      assert.equal(ssh(app, 'cd /srv/site && find . | sort').stdout, '.\n./css\n./css/app.css\n./index.html\n');
    }
  });

  test('the db publishes its port and generated password; the app nodes write them', () => {
    assert.equal(cat(dbNode.address, '/etc/db.conf'), `port=5432\npassword=${password}\n`);
    for (const app of apps) assert.equal(cat(app.address, '/etc/app/db.env'), `DB_HOST=${dbNode.address}\nDB_PORT=5432\nDB_PASSWORD=${password}\n`);
  });

  test('a no-op lift is one exec per node per phase, facts included, and sends no file', async () => {
    const config = await loadConfig('forklift.config.ts', dir);
    await lift(config, { phases: ['configure', 'report'] }); // the report files, once
    const c = countingSsh();
    const t0 = Date.now();
    const noop = await lift(config, { phases: ['configure', 'report'], transport: c.transport });
    const ms = Date.now() - t0;
    assert.ok(noop.ok, describeRun(noop));
    assert.equal(noop.changed, 0);
    // db defines configure only: no round trip for report.
    assert.deepEqual(Object.fromEntries(c.execs), { [dbNode.name]: 1, [apps[0]!.name]: 2, [apps[1]!.name]: 2 });
    assert.equal(c.streamed(), 0, 'the 50 MB file was not sent again');
    console.error(`no-op lift of 3 nodes, 2 phases: ${ms} ms`);
    outputs.push(JSON.stringify(noop));
  });

  test('the password shows in no output, and a second run keeps it', async () => {
    for (const args of [['lift', '--json', '-q'], ['lift'], ['check', '--json', '-q'], ['nodes', '--json'], ['nodes']]) {
      const r = await cli(args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      outputs.push(r.stdout, r.stderr);
    }
    for (const out of outputs) assert.ok(!out.includes(password), `the password shows in: ${out.slice(0, 200)}`);
    const listing = JSON.parse((await cli(['nodes', '--json'])).stdout) as Array<{ group: string; tags: Record<string, string> }>;
    assert.equal(listing.find((n) => n.group === 'db')!.tags['forklift-secret-db-password'], '***');
    assert.equal((await local.listNodes(stack)).find((n) => n.group === 'db')!.tags['forklift-secret-db-password'], password);
    // Kept where only root reads it.
    assert.equal(statSync(join(DEFAULT_LXC_PATH, containerName(stack, dbNode.name), TAGS_FILE)).mode & 0o777, 0o600);
    for (const app of apps) assert.match(cat(app.address, '/etc/app/db.env'), new RegExp(`DB_PASSWORD=${password}\n`));
  });

  test("facts are read on the node: one whose os-release says Ubuntu 22.04 plans as Ubuntu from the next phase on", async () => {
    const [ubuntu, debian] = apps as [{ name: string; address: string }, { name: string; address: string }];
    const release = 'PRETTY_NAME="Ubuntu 22.04.4 LTS"\nNAME="Ubuntu"\nVERSION_ID="22.04"\nVERSION_CODENAME=jammy\nID=ubuntu\nID_LIKE=debian\n';
    assert.equal(ssh(ubuntu, `rm -f /etc/os-release && printf '%s' '${release}' >/etc/os-release`).code, 0);
    const r = await cli(['lift', '--phase', 'configure', '--phase', 'report', '-q']);
    assert.equal(r.code, 0, r.stderr);
    for (const [node, os] of [[ubuntu, 'ubuntu 22.04 jammy like=debian'], [debian, 'debian 12 bookworm like=']] as const) {
      const cpus = ssh(node, 'nproc').stdout.trim();
      const mem = Math.floor(Number(/MemTotal:\s+(\d+)/.exec(ssh(node, 'cat /proc/meminfo').stdout)![1]) / 1024);
      const hostname = ssh(node, 'uname -n').stdout.trim();
      assert.equal(cat(node.address, '/etc/forklift-facts'), `${os} x86_64 amd64 cpus=${cpus} mem=${mem} ${hostname} ${node.address}\n`);
    }
    const tag = (await local.listNodes(stack)).find((n) => n.name === ubuntu.name)!.tags['forklift-facts'];
    assert.deepEqual(decodeFacts(tag)?.os, { family: 'ubuntu', version: '22.04', codename: 'jammy', like: ['debian'] });
  });

  test('the mirror sends only the file that differs and deletes what the folder does not have', async () => {
    const app = apps[1]!;
    assert.equal(ssh(app, 'echo edited >/srv/site/index.html && touch /srv/site/extra && mkdir -p /srv/site/old/deep').code, 0);
    const c = countingSsh();
    const r = await lift(await loadConfig('forklift.config.ts', dir), { transport: c.transport });
    assert.ok(r.ok, describeRun(r));
    assert.deepEqual(r.nodes.flatMap((n) => n.actions.filter((a) => a.changed).map((a) => [n.name, a.name])), [[app.name, 'directory /srv/site']]);
    assert.equal(c.streamed(), '<h1>app</h1>\n'.length);
    assert.equal(ssh(app, 'cd /srv/site && find . | sort').stdout, '.\n./css\n./css/app.css\n./index.html\n');
    assert.equal(cat(app.address, '/srv/site/index.html'), '<h1>app</h1>\n');
  });
});

describe('facts on a hosts machine', () => {
  test('an existing machine running "Ubuntu" is planned as Ubuntu on its first run; its facts are kept in its own tag file', async () => {
    const machines = stackName('tflh');
    const [machine] = await localNodes(machines, 'machines', ['m1']);
    const release = 'NAME="Ubuntu"\nVERSION_ID="22.04"\nVERSION_CODENAME=jammy\nID=ubuntu\nID_LIKE=debian\n';
    assert.equal(ssh(machine!, `rm -f /etc/os-release && printf '%s' '${release}' >/etc/os-release`).code, 0);
    const knownHosts = join(mkdtempSync(join(tmpdir(), 'fl-fleet-')), 'known_hosts');
    const hosts = testStack('tflhs', (name) => `import { defineConfig, file, groupSpec, plan } from 'forklift';
export default defineConfig({
  stack: '${name}',
  provider: { name: 'hosts', knownHosts: '${knownHosts}', hosts: [{ host: '${machine!.address}', group: 'app', name: 'app-1', privateKeyPath: '/var/lib/forklift/ssh/id_ed25519' }] },
  groups: [groupSpec('app', { phases: { configure: plan((ctx) => file('/root/os', { content: \`\${ctx.node.facts.os.family} \${ctx.node.facts.os.version} \${ctx.node.facts.os.codename}\\n\` })) } })],
});
`);
    const r = await hosts.cli(['lift', '-q']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(cat(machine!.address, '/root/os'), 'ubuntu 22.04 jammy\n');
    const tags = JSON.parse(cat(machine!.address, `/var/lib/forklift/tags/${hosts.stack}.json`)) as Record<string, string>;
    assert.equal(decodeFacts(tags['forklift-facts'])?.os.family, 'ubuntu');
  });
});

describe('a local file that does not exist', () => {
  test('is one line naming the action and the path, before any node is touched', async () => {
    const missing = testStack('tflm', (name) => `import { defineConfig, file, groupSpec, plan } from 'forklift';
export default defineConfig({ stack: '${name}', groups: [groupSpec('app', { phases: { configure: plan(file('/opt/app.bin', { source: new URL('./files/nope.bin', import.meta.url) })) } })] });
`);
    const r = await missing.cli(['converge', 'app=1']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`^forklift: forklift\\.config\\.ts: file /opt/app\\.bin: source: ${missing.dir}/files/nope\\.bin: no such file\\n$`));
    assert.deepEqual(leftovers(missing.stack).containers, []);
  });
});
