// The second real example (examples/app-stack) through the CLI on real local nodes:
// PostgreSQL on a db node with a generated password published through settings, a Python
// app checked out from a git repository this test serves on the bridge (dumb HTTP, see
// served.ts), run by systemd as its own user, haproxy in front. A request to the lb
// returns the rows the app read from the database; a new commit and a lift roll it out
// (and APP_REF, a commit, rolls it back);
// a no-op lift is one round trip per node and changes nothing; the password is in no output.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/config/load.ts';
import { lift } from '../../src/engine/lift.ts';
import type { OperationResult } from '../../src/engine/results.ts';
import { createProvider } from '../../src/providers/local/index.ts';
import { byGroup, httpGet, ROOT, waitFor, type CliRun } from './helpers.ts';
import { ssh, testStack } from './nodes.ts';
import { buildGitRepo, serveFolder } from './served.ts';
import { countingSsh } from './counting.ts';

const EXAMPLE = join(ROOT, 'examples/app-stack');
const APP = readFileSync(join(EXAMPLE, 'app/app.py'), 'utf8');
const ROWS = 'forklift\npallet\npostgresql\n';

const served = await serveFolder();
const repo = buildGitRepo(served, 'app');
const first = repo.commit('app.py', APP, 'app 1');
// The example's own stack file, under a name of this test's, pointed at the served repository.
const { stack, dir, cli } = testStack('tapp', (name) => `import stack from '${EXAMPLE}/forklift.config.ts';
export default { ...stack, stack: '${name}' };
`);
const env = { APP_REPO: repo.url };
process.env['APP_REPO'] = repo.url; // for the stack loaded in this process

const describeRun = (r: OperationResult) => JSON.stringify(r.nodes.map((n) => ({ name: n.name, error: n.error, actions: n.actions.map((a) => [a.name, a.status]) })));

describe('the app stack on local nodes', { concurrency: false, timeout: 20 * 60_000 }, () => {
  const outputs: string[] = [];
  let made: OperationResult;
  let lb: string;
  let db: { name: string; address: string };
  let apps: Array<{ name: string; address: string }>;

  /** forklift ARGS in the stack's folder; its output is kept for the password check. */
  async function run(args: string[], code = 0): Promise<CliRun> {
    const r = await cli(args, env);
    outputs.push(r.stdout, r.stderr);
    assert.equal(r.code, code, `forklift ${args.join(' ')} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
    return r;
  }
  const json = async (args: string[]) => JSON.parse((await run(args)).stdout) as OperationResult;
  /** What the lb answers, request by request, until every app node answered with `version`. */
  const servedVersion = (version: string) =>
    waitFor(`app ${version} from both app nodes through the lb`, async () => {
      const seen = new Set<string>();
      for (let i = 0; i < 4; i++) {
        const body = await httpGet(lb).catch(() => '');
        const m = /^app (\S+) on (\S+)\n([\s\S]*)$/.exec(body);
        if (!m || m[1] !== version || m[3] !== ROWS) return undefined;
        seen.add(m[2]!);
      }
      return seen.size === apps.length ? seen : undefined;
    });

  before(async () => {
    made = await json(['converge', '-v', '--json', 'lb=1', 'app=2', 'db=1']);
    assert.ok(made.ok, describeRun(made));
    lb = byGroup(made, 'lb')[0]!.address;
    db = byGroup(made, 'db')[0]!;
    apps = byGroup(made, 'app');
  });
  after(async () => {
    repo.close();
    await served.close();
  });

  test('converge lb=1 app=2 db=1: the lb returns the rows both app nodes read from the database', async () => {
    assert.equal(made.nodes.length, 4);
    assert.deepEqual(await servedVersion('1'), new Set(apps.map((a) => a.name)));
  });

  test('PostgreSQL listens on the db address and lets in exactly the app nodes', () => {
    const listening = ssh(db, 'ss -ltnH sport = :5432').stdout;
    assert.match(listening, new RegExp(`${db.address.replaceAll('.', '\\.')}:5432`));
    const hba = ssh(db, 'cat /etc/postgresql/15/main/pg_hba.conf').stdout;
    const clients = hba.split('\n').filter((l) => /^host\s+app\s+app\s/.test(l));
    assert.deepEqual(clients.map((l) => l.split(/\s+/)[3]).sort(), apps.map((a) => `${a.address}/32`).sort());
  });

  test('the app runs as its own user from the checkout, its config 0640 root:app', () => {
    for (const app of apps) {
      assert.equal(ssh(app, 'stat -c "%a %U %G" /etc/app/app.conf').stdout, '640 root app\n');
      assert.equal(ssh(app, 'stat -c %U /srv/app').stdout, 'app\n');
      assert.equal(ssh(app, 'ps -o user= -p "$(systemctl show -P MainPID app)"').stdout.trim(), 'app');
    }
  });

  test('a second run changes 0, in one round trip per node (facts included)', async () => {
    const c = countingSsh();
    const noop = await lift(await loadConfig('forklift.config.ts', dir), { transport: c.transport });
    assert.ok(noop.ok, describeRun(noop));
    assert.equal(noop.changed, 0, describeRun(noop));
    assert.deepEqual(Object.fromEntries(c.execs), Object.fromEntries(made.nodes.map((n) => [n.name, 1])));
    outputs.push(JSON.stringify(noop));
  });

  test('a new commit on the branch and a lift roll the app out; the next lift changes 0', async () => {
    repo.commit('app.py', APP.replace('VERSION = "1"', 'VERSION = "2"'), 'app 2');
    const rolled = await json(['lift', '-v', '--json']);
    assert.ok(rolled.ok, describeRun(rolled));
    for (const n of rolled.nodes) {
      const changed = n.actions.filter((a) => a.changed).map((a) => a.name);
      assert.deepEqual(changed, n.group === 'app' ? ['gitCheckout /srv/app', 'service app restarted'] : [], `${n.name}: ${changed.join(', ')}`);
    }
    await servedVersion('2');
    const again = await json(['lift', '--json', '-q']);
    assert.equal(again.changed, 0, describeRun(again));
  });

  test('APP_REF pins the app to a commit: a lift rolls it back to version 1', async () => {
    const pinned = await cli(['lift', '--json', '-q'], { ...env, APP_REF: first });
    outputs.push(pinned.stdout, pinned.stderr);
    assert.equal(pinned.code, 0, pinned.stderr);
    await servedVersion('1');
    for (const app of apps) assert.equal(ssh(app, 'runuser -u app -- git -C /srv/app rev-parse HEAD').stdout, `${first}\n`);
  });

  test('the generated password is in no output: converge and lift -v, --json, check, nodes, a failure', async () => {
    // The db's password: its tag, and it opens the database on the db node.
    const local = createProvider({}, { log: () => undefined });
    const password = (await local.listNodes(stack)).find((n) => n.group === 'db')!.tags['forklift-secret-db-password']!;
    assert.match(password, /^[A-Za-z0-9_-]{32}$/);
    const rows = ssh(db, `PGPASSWORD=${password} psql -X -h 127.0.0.1 -U app -d app -tAc 'SELECT count(*) FROM items'`);
    assert.equal(rows.stdout, '3\n', rows.stderr);
    for (const app of apps) assert.match(ssh(app, 'cat /etc/app/app.conf').stdout, new RegExp(`^password = ${password}$`, 'm'));
    // An error on the way: with the database stopped the role's check fails and its apply
    // (the SQL holding the password) fails the db node.
    assert.equal(ssh(db, 'systemctl stop postgresql@15-main').code, 0);
    try {
      const failed = await run(['lift', '-v'], 1);
      assert.match(failed.stderr, /postgres role app/);
      await run(['lift', '--json', '-q'], 1);
    } finally {
      assert.equal(ssh(db, 'systemctl start postgresql@15-main').code, 0);
    }
    await run(['check', '--json', '-q']);
    await run(['check', '-v']);
    await run(['nodes', '--json']);
    await run(['nodes']);
    for (const out of outputs) assert.ok(!out.includes(password), `the password shows in: ${out.slice(0, 300)}`);
  });
});
