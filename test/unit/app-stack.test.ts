// examples/app-stack's plans through the engine on in-memory nodes (test/fake): the db's
// pg_hba.conf lists exactly the app nodes' addresses and follows a scale-out (a reload, no
// restart), the app's config carries the db's address and the generated password, and
// no result or event (scripts as shown included) carries the password. The real thing
// runs in test/e2e/app-stack.test.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { appStackGroups } from '../../examples/app-stack/specs.ts';
// The example imports 'forklift' (this package's dist/), so the engine here is that one too.
import { converge, defineConfig, type ForkliftEvent, type NodeResult } from 'forklift';
import { fakeCloud, scriptBlocks, type FakeCloud } from '../fake/cloud.ts';

const stack = (cloud: FakeCloud) => defineConfig({ stack: 'apps', provider: cloud.provider, groups: appStackGroups({ repo: 'https://git.example/app.git' }) });
const hbaClients = (script: string) => [...script.matchAll(/^host {4}app {2}app {2}(\S+)\/32 /gm)].map((m) => m[1]).sort();
const changed = (n: NodeResult) => n.actions.filter((a) => a.changed).map((a) => a.name);

describe('examples/app-stack on in-memory nodes', () => {
  test('pg_hba lets in the app nodes by address and follows a scale-out; the app config has the db and the password, shown nowhere', async () => {
    const cloud = fakeCloud();
    const events: ForkliftEvent[] = [];
    const made = await converge(stack(cloud), { lb: 1, app: 2, db: 1 }, { transport: cloud.transport, scripts: true, onEvent: (e) => events.push(e) });
    assert.ok(made.ok, JSON.stringify(made.nodes.map((n) => n.error)));
    const db = made.nodes.find((n) => n.group === 'db')!;
    const apps = made.nodes.filter((n) => n.group === 'app');
    assert.deepEqual(hbaClients(cloud.host(db.name).scripts.at(-1)!), apps.map((a) => a.address).sort());
    const password = (await cloud.provider.listNodes('apps')).find((n) => n.group === 'db')!.tags['forklift-secret-db-password']!;
    for (const app of apps) {
      const script = cloud.host(app.name).scripts.at(-1)!;
      assert.ok(script.includes(`host = ${db.address}\nport = 5432\nname = app\nuser = app\npassword = ${password}\n`), 'app.conf holds the db and its password');
    }
    assert.ok(cloud.host(db.name).scripts.at(-1)!.includes(`PASSWORD '\\''${password}'\\''`), 'the role gets the password');
    const shown = JSON.stringify([made, events]);
    assert.ok(shown.includes('"type":"node-script"'));
    assert.ok(!shown.includes(password), 'the password shows nowhere');

    const more = await converge(stack(cloud), { lb: 1, app: 3, db: 1 }, { transport: cloud.transport });
    assert.ok(more.ok);
    const added = more.nodes.find((n) => n.group === 'app' && n.created)!;
    const dbAfter = more.nodes.find((n) => n.group === 'db')!;
    assert.deepEqual(changed(dbAfter), ['template /etc/postgresql/15/main/pg_hba.conf', 'reload postgresql@15-main']);
    assert.deepEqual(hbaClients(cloud.host(db.name).scripts.at(-1)!), [...apps.map((a) => a.address), added.address].sort());
    for (const app of apps) assert.deepEqual(changed(more.nodes.find((n) => n.name === app.name)!), []);
    const blocks = scriptBlocks(cloud.host(db.name).scripts.at(-1)!).blocks.map((b) => b.label);
    assert.ok(blocks.includes('service postgresql@15-main restarted'), 'the restart is there, as a handler of the listen address');
  });
});
