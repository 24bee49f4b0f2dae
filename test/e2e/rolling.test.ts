// Rolling runs on real local nodes, driven through the CLI: --serial 1 never has two webs
// configuring at once (seen on the nodes: times their plan writes), --max-fail stops and
// names the nodes it never reached, a rolling lift of every web with a changed page and a
// scale-down from 4 to 2 each give 0 failed requests to a client looping on the lb, and
// `nodes` tells which nodes' code is behind from their tags; `lift --stale` updates those.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { NodeListing, OperationResult } from '../../src/index.ts';
import { byGroup, httpGet, ROOT, waitFor } from './helpers.ts';
import { ssh, testStack } from './nodes.ts';
import { createProvider } from '../../src/providers/local/index.ts';

const { stack, cli } = testStack('trl', (name) => `import { defineConfig, execChecked, groupSpec, nginx, plan } from 'forklift';
import { baseServer, debianNode, lbServer } from '${ROOT}/examples/webfarm/specs.ts';

const version = process.env['PAGE_VERSION'] ?? 'v1';
// Written by the plan on the node: when its configure started and ended (the host's clock).
// A new version is a disruptive deploy: nginx is down for 4 s (longer than haproxy's
// retries hide), as a slow app restart would be; the same version only takes a second.
const timed = execChecked('timed', \`[ ! -e /etc/fl-fail ] || { echo "broken on purpose" >&2; exit 1; }
s=$(date +%s.%N)
if [ "$(cat /etc/fl-version 2>/dev/null)" != \${version} ]; then systemctl stop nginx; sleep 4; systemctl start nginx; echo \${version} > /etc/fl-version; else sleep 1; fi
echo "$s $(date +%s.%N)" >> /var/log/fl-configure\`);

export default defineConfig({
  stack: '${name}',
  provider: { name: 'local' },
  groups: [
    groupSpec('web', {
      roles: ['web'],
      extends: [baseServer],
      nodeSpec: debianNode,
      phases: {
        configure: plan(nginx.site('web', { index: (ctx) => \`<h1>\${version} served by \${ctx.node.name}</h1>\\n\` }), timed),
        health: nginx.health(),
      },
    }),
    groupSpec('lb', { roles: ['lb'], extends: [baseServer, lbServer], nodeSpec: debianNode }),
  ],
});
`);

async function run(args: string[], env: NodeJS.ProcessEnv = {}, code = 0): Promise<OperationResult> {
  const r = await cli([...args, '--json', '-q'], env);
  assert.equal(r.code, code, `forklift ${args.join(' ')}: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(r.stdout) as OperationResult;
}

async function listing(env: NodeJS.ProcessEnv = {}): Promise<NodeListing[]> {
  const r = await cli(['nodes', '--json'], env);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as NodeListing[];
}

/** Requests to the lb in a loop (a fresh connection each) while `during` runs: how many, which failed, the pages' versions. */
async function underLoad<T>(lb: string, during: () => Promise<T>): Promise<{ value: T; sent: number; failed: string[]; versions: Set<string> }> {
  let done = false;
  let sent = 0;
  const failed: string[] = [];
  const versions = new Set<string>();
  const loop = (async () => {
    while (!done) {
      sent++;
      try {
        const body = await httpGet(lb, 80, 5000);
        const m = /<h1>(\S+) served by \S+<\/h1>/.exec(body);
        if (m) versions.add(m[1]!);
        else failed.push(`unexpected page: ${body.slice(0, 80)}`);
      } catch (error) {
        failed.push((error as Error).message);
      }
    }
  })();
  try {
    return { value: await during(), sent, failed, versions };
  } finally {
    done = true;
    await loop;
  }
}

describe('rolling runs on local nodes', { concurrency: false }, () => {
  let lb: string;
  let webs: Array<{ name: string; address: string }>;

  before(async () => {
    const made = await run(['converge', 'lb=1', 'web=4']);
    lb = byGroup(made, 'lb')[0]!.address;
    webs = byGroup(made, 'web').map((n) => ({ name: n.name, address: n.address })).sort((a, b) => a.name.localeCompare(b.name));
  });

  const clearLogs = () => webs.forEach((w) => assert.equal(ssh(w, 'rm -f /var/log/fl-configure').code, 0));
  const intervals = (w: { address: string }) => ssh(w, 'cat /var/log/fl-configure 2>/dev/null').stdout.trim().split('\n').filter(Boolean).map((l) => l.split(' ').map(Number) as [number, number]);

  it('--serial 1: no two webs configure at once, in name order (times written on the nodes)', async () => {
    clearLogs();
    const r = await run(['lift', 'web', '--serial', '1']);
    assert.equal(r.nodes.length, 4);
    const spans = webs.map((w) => intervals(w));
    assert.ok(spans.every((s) => s.length === 1), `one configure per web: ${JSON.stringify(spans)}`);
    const flat = spans.map((s) => s[0]!);
    for (let i = 1; i < flat.length; i++) assert.ok(flat[i]![0] >= flat[i - 1]![1], `${webs[i]!.name} started before ${webs[i - 1]!.name} ended: ${JSON.stringify(flat)}`);
    // Without serial they do overlap: the observation can see it.
    clearLogs();
    await run(['lift', 'web']);
    const together = webs.map((w) => intervals(w)[0]!);
    assert.ok(together.some((a, i) => together.some((b, j) => i !== j && a[0] < b[1] && b[0] < a[1])), 'an unserialized lift ran the webs one by one');
  });

  it('--max-fail 0: a failing web stops the run; the webs after it are untouched, named, and ran nothing', async () => {
    clearLogs();
    assert.equal(ssh(webs[1]!, 'touch /etc/fl-fail').code, 0);
    try {
      const r = await cli(['lift', 'web', '--serial', '1', '--max-fail', '0']);
      assert.equal(r.code, 1, r.stderr);
      const untouched = [webs[2]!.name, webs[3]!.name];
      assert.match(r.stdout, new RegExp(`stopped after batch 2 of 4: 1 of 4 nodes failed, more than --max-fail 0 allows; untouched: ${untouched.join(', ')}`));
      for (const name of untouched) assert.match(r.stdout, new RegExp(`${name}\\s+web\\s+\\S+\\s+untouched`));
      const json = await run(['lift', 'web', '--serial', '1', '--max-fail', '0'], {}, 1);
      assert.deepEqual(json.untouched?.map((n) => n.name), untouched);
      assert.deepEqual(webs.map((w) => intervals(w).length), [2, 0, 0, 0]);
    } finally {
      ssh(webs[1]!, 'rm -f /etc/fl-fail');
    }
  });

  it('the same deploy without --rolling fails requests (what the client observes can see downtime)', async (t) => {
    const load = await underLoad(lb, () => run(['lift', 'web'], { PAGE_VERSION: 'v2' }));
    assert.ok(load.failed.length > 0, `0 of ${load.sent} requests failed while every web restarted nginx at once`);
    t.diagnostic(`the same deploy without --rolling: ${load.failed.length} of ${load.sent} requests failed`);
  });

  it('lift web --rolling with a changed page: 0 failed requests while a client loops on the lb; nodes shows the code current', async (t) => {
    assert.ok((await listing({ PAGE_VERSION: 'v3' })).filter((n) => n.group === 'web').every((n) => n.code?.status === 'behind'));
    const load = await underLoad(lb, () => run(['lift', 'web', '--rolling'], { PAGE_VERSION: 'v3' }));
    assert.equal(load.value.ok, true);
    assert.deepEqual(load.failed, [], `${load.failed.length} of ${load.sent} requests failed`);
    assert.ok(load.sent > 20, `only ${load.sent} requests during the rolling lift`);
    t.diagnostic(`rolling lift of 4 webs: ${load.sent} requests, 0 failed`);
    assert.deepEqual([...load.versions].sort(), ['v2', 'v3']);
    for (const w of webs) assert.match(await httpGet(w.address), /<h1>v3 served by/);
    const list = await listing({ PAGE_VERSION: 'v3' });
    assert.ok(list.every((n) => n.code?.status === 'current'), JSON.stringify(list.map((n) => [n.name, n.code])));
    assert.ok(list.every((n) => /^\S+@\S+$/.test(n.code?.appliedBy ?? '')));
  });

  it('nodes shows the nodes behind after a limited lift; lift --stale updates exactly those', async () => {
    await run(['lift', '--limit', webs[0]!.name], { PAGE_VERSION: 'v4' });
    const behind = (await listing({ PAGE_VERSION: 'v4' })).filter((n) => n.code?.status === 'behind').map((n) => n.name).sort();
    assert.deepEqual(behind, webs.slice(1).map((w) => w.name));
    const table = await cli(['nodes'], { PAGE_VERSION: 'v4' });
    assert.match(table.stdout, new RegExp(`${webs[1]!.name}.*behind \\(configure\\)`));
    const stale = await run(['lift', '--stale'], { PAGE_VERSION: 'v4' });
    assert.deepEqual(stale.nodes.map((n) => n.name).sort(), behind);
    assert.ok((await listing({ PAGE_VERSION: 'v4' })).every((n) => n.code?.status === 'current'));
  });

  it('converge web=2 under load: the lb stops sending to the two webs before they go; 0 failed requests', async (t) => {
    const load = await underLoad(lb, () => run(['converge', 'lb=1', 'web=2'], { PAGE_VERSION: 'v4' }));
    assert.equal(load.value.removed.length, 2);
    assert.deepEqual(load.failed, [], `${load.failed.length} of ${load.sent} requests failed`);
    assert.ok(load.sent > 5, `only ${load.sent} requests during the scale-down`);
    t.diagnostic(`scale-down 4 to 2: ${load.sent} requests, 0 failed`);
    const kept = byGroup(load.value, 'web').map((n) => n.name).sort();
    const cfg = ssh(lb, 'cat /etc/haproxy/haproxy.cfg').stdout;
    assert.deepEqual([...cfg.matchAll(/server (\S+) /g)].map((m) => m[1]).sort(), kept);
  });

  it('a web destroyed behind forklift\'s back, the lb still listing it, fails requests (the scale-down before this change)', async (t) => {
    const local = createProvider({}, { log: () => undefined });
    const web = (await local.listNodes(stack)).find((n) => n.group === 'web')!;
    // Under load from the destroy until haproxy's own checks mark the server down.
    const down = () => ssh(lb, "curl -s 'http://127.0.0.1:8404/stats;csv'").stdout.split('\n').some((l) => l.split(',')[1] === web.name && /^DOWN/.test(l.split(',')[17] ?? ''));
    const load = await underLoad(lb, async () => {
      await local.destroyNode(web);
      await waitFor(`haproxy to mark ${web.name} down`, () => (down() ? true : undefined));
    });
    assert.ok(load.failed.length > 0, `0 of ${load.sent} requests failed`);
    t.diagnostic(`a web destroyed while the lb listed it: ${load.failed.length} of ${load.sent} requests failed`);
  });
});
