// The hosts provider's inventory, read when the stack is loaded: Ansible's YAML form (all,
// children, hosts, vars; ranges; YAML 1.1), variables merged as Ansible merges them,
// forklift's connection variables and the Ansible ones that mean the same; every mistake
// one line naming the file, its line and the field, before any host is contacted.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, test } from 'node:test';
import { ConfigError, defineConfig, groupSpec, loadConfig, validateStack, type HostEntry } from '../../src/index.ts';
import { expandRange } from '../../src/providers/hosts/inventory.ts';
import { parseJump } from '../../src/providers/hosts/jump.ts';

const dir = mkdtempSync(join(tmpdir(), 'fl-inventory-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let serial = 0;
/** Write `yaml` as an inventory in a folder of its own; returns that folder. */
function inventoryDir(yaml: string): string {
  const d = join(dir, `s${++serial}`);
  mkdirSync(d);
  writeFileSync(join(d, 'inventory.yml'), yaml);
  return d;
}

const groups = (...names: string[]) => names.map((n) => groupSpec(n));

/** The hosts the stack's provider ends with, validated as `forklift.config.ts` in `d`. */
function hostsOf(d: string, stackGroups = groups('web', 'db'), inventory: string | URL = 'inventory.yml'): HostEntry[] {
  const stack = validateStack(defineConfig({ stack: 'inv', provider: { name: 'hosts', inventory }, groups: stackGroups }), 'forklift.config.ts', d);
  return (stack.provider as { hosts: HostEntry[] }).hosts;
}

function refusal(yaml: string, stackGroups = groups('web', 'db')): string {
  try {
    hostsOf(inventoryDir(yaml), stackGroups);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    assert.ok(!error.message.includes('\n'), `more than one line: ${error.message}`);
    return error.message;
  }
  assert.fail('the inventory was accepted');
}

const FLEET = `# as an Ansible operator has it
all:
  vars:
    ansible_user: deploy
    ntp: pool.ntp.org
    http_port: 80
  children:
    production:
      vars:
        env: prod
        http_port: 8080
      children:
        web:
          hosts:
            web[01:02].example.com:
            web03.example.com:
              ansible_host: 10.0.0.3
              ansible_port: "2222"
              http_port: 9000
              forklift_port: 2200
        db:
          vars:
            ansible_ssh_common_args: '-o ProxyJump=ops@bastion.example.com:2022'
            ansible_become: yes
          hosts:
            db1:
              ansible_host: 10.0.1.1
              ansible_ssh_private_key_file: keys/db_ed25519
              backup: no
    monitoring:
      hosts:
        web03.example.com:
`;

describe('an Ansible YAML inventory', () => {
  test('groups, children and vars become hosts entries; vars merge from all to the host, as Ansible merges them', () => {
    const d = inventoryDir(FLEET);
    const hosts = hostsOf(d);
    assert.deepEqual(
      hosts.map((h) => [h.name, h.group, h.host, h.port, h.user]),
      [
        ['web01.example.com', 'web', 'web01.example.com', undefined, 'deploy'],
        ['web02.example.com', 'web', 'web02.example.com', undefined, 'deploy'],
        // forklift_port beats ansible_port set in the same place; monitoring (not a stack group) only adds vars.
        ['web03.example.com', 'web', '10.0.0.3', 2200, 'deploy'],
        ['db1', 'db', '10.0.1.1', undefined, 'deploy'],
      ],
    );
    const [web01, , web03, db1] = hosts as [HostEntry, HostEntry, HostEntry, HostEntry];
    assert.deepEqual(web01.vars, { ntp: 'pool.ntp.org', http_port: 8080, env: 'prod' });
    assert.deepEqual(web03.vars, { ntp: 'pool.ntp.org', http_port: 9000, env: 'prod' });
    // YAML 1.1 as Ansible reads it: no is false; the key file is found from the inventory's folder.
    assert.deepEqual(db1.vars, { ntp: 'pool.ntp.org', http_port: 8080, env: 'prod', backup: false });
    assert.equal(db1.privateKeyPath, join(d, 'keys/db_ed25519'));
    assert.equal(db1.jump, 'ops@bastion.example.com:2022');
    assert.equal(db1.become, true);
  });

  test('the path is the stack file’s folder’s; a file: URL and an absolute path work alike; hosts in code join them', () => {
    const d = inventoryDir('web:\n  hosts:\n    w1:\n');
    assert.deepEqual(hostsOf(d).map((h) => h.name), ['w1']);
    assert.deepEqual(hostsOf(dir, groups('web'), pathToFileURL(join(d, 'inventory.yml'))).map((h) => h.name), ['w1']);
    assert.deepEqual(hostsOf(dir, groups('web'), join(d, 'inventory.yml')).map((h) => h.name), ['w1']);
    const both = validateStack(
      defineConfig({ stack: 'inv', provider: { name: 'hosts', inventory: 'inventory.yml', hosts: [{ host: '192.0.2.9', group: 'web', name: 'w9' }] }, groups: groups('web') }),
      'forklift.config.ts',
      d,
    );
    assert.deepEqual((both.provider as { hosts: HostEntry[] }).hosts.map((h) => h.name), ['w9', 'w1']);
    // What validation returns checks again unchanged (the inventory is read once).
    assert.deepEqual(validateStack({ ...both }), both);
  });

  test('the example stack file finds its inventory beside itself, from any folder', async () => {
    const stack = await loadConfig(join(import.meta.dirname, '../../examples/hosts-inventory/forklift.config.ts'), tmpdir());
    const hosts = (stack.provider as { hosts: HostEntry[] }).hosts;
    assert.deepEqual(hosts.map((h) => [h.name, h.group, h.host, h.port, h.user, h.jump]), [
      ['web1', 'web', 'web1', undefined, 'deploy', 'deploy@198.51.100.7'],
      ['web2', 'web', 'web2', undefined, 'deploy', 'deploy@198.51.100.7'],
      ['web3', 'web', '192.0.2.13', undefined, 'deploy', 'deploy@198.51.100.7'],
      ['db1', 'db', '192.0.2.20', 2222, 'deploy', 'deploy@198.51.100.7'],
    ]);
    assert.deepEqual(hosts.map((h) => h.vars), [
      { ntp_server: 'ntp.example.com', http_port: 8080 },
      { ntp_server: 'ntp.example.com', http_port: 8080 },
      { ntp_server: 'ntp.example.com', http_port: 9090 },
      { ntp_server: 'ntp.example.com' },
    ]);
  });

  test('forklift’s own variables: jump, become, state dir, host key, group', () => {
    const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFYjfcGAA6h3DK4KV+xdnU/9InBTTOt22qjidbpx6sNv';
    const hosts = hostsOf(
      inventoryDir(`all:
  children:
    web:
      vars: { forklift_jump: 'bastion,jump2:2222', forklift_become: false }
      hosts:
        w1: { forklift_host: 192.0.2.1, forklift_user: ops, forklift_state_dir: /srv/w1/forklift, forklift_host_key: '${key}' }
    other:
      hosts:
        w1:
        w2: { forklift_group: db }
    db:
      hosts:
        w2:
`),
    );
    assert.deepEqual(hosts.map((h) => ({ ...h })), [
      { host: '192.0.2.1', group: 'web', name: 'w1', user: 'ops', jump: 'bastion,jump2:2222', become: false, hostKey: key, stateDir: '/srv/w1/forklift' },
      { host: 'w2', group: 'db', name: 'w2' },
    ]);
  });

  test('host ranges: numbers (with leading zeros, a step) and letters', () => {
    assert.deepEqual(expandRange('web[08:11].x', []), ['web08.x', 'web09.x', 'web10.x', 'web11.x']);
    assert.deepEqual(expandRange('n[1:5:2]', []), ['n1', 'n3', 'n5']);
    assert.deepEqual(expandRange('db-[a:c]', []), ['db-a', 'db-b', 'db-c']);
    assert.deepEqual(expandRange('r[1:2]c[1:2]', []), ['r1c1', 'r1c2', 'r2c1', 'r2c2']);
  });

  test('jump hosts as ProxyJump writes them', () => {
    assert.deepEqual(parseJump('ops@bastion:2022,[2001:db8::1]'), [{ user: 'ops', host: 'bastion', port: 2022 }, { host: '2001:db8::1', port: 22 }]);
    assert.equal(parseJump('ops@'), '"ops@" is not "[user@]host[:port]"');
    assert.equal(parseJump('a,,b'), 'must be "[user@]host[:port]", several comma-separated');
  });
});

describe('mistakes in an inventory: one line naming the file, the line and the field', () => {
  const cases: Array<[string, string, string]> = [
    ['a host in no group', 'all:\n  hosts:\n    stray:\n  children:\n    web:\n      hosts:\n        w1:\n',
      "forklift: inventory.yml: line 3: all.hosts.stray: host stray is in no group (listed only under all.hosts); a forklift node belongs to one group: list it under a group's hosts"],
    ['a host in two groups the stack defines', 'all:\n  children:\n    web:\n      hosts:\n        h:\n    db:\n      hosts:\n        h:\n',
      'forklift: inventory.yml: line 5: all.children.web.hosts.h: host h is in groups web, db and the stack defines web and db; a forklift node belongs to one group: set forklift_group for it'],
    ['a port that is not one', 'web:\n  hosts:\n    w1:\n      ansible_port: twenty-two\n',
      'forklift: inventory.yml: line 4: web.hosts.w1.ansible_port: must be a port, 1-65535, got "twenty-two"'],
    ['a misspelled forklift variable', 'web:\n  vars:\n    forklift_jmup: bastion\n  hosts:\n    w1:\n',
      "forklift: inventory.yml: line 3: web.vars.forklift_jmup: unknown forklift variable; forklift's are forklift_host, forklift_port, forklift_user, forklift_private_key_file, forklift_jump, forklift_become, forklift_host_key, forklift_state_dir, forklift_group"],
    ['a password', 'web:\n  hosts:\n    w1:\n      ansible_become_password: hunter2\n',
      'forklift: inventory.yml: line 4: web.hosts.w1.ansible_become_password: forklift logs in with keys only (a key file or ssh-agent) and runs sudo -n, never with a password; remove it'],
    ['another connection plugin', 'web:\n  hosts:\n    w1: { ansible_connection: docker }\n',
      'forklift: inventory.yml: line 3: web.hosts.w1.ansible_connection: forklift reaches hosts over SSH only, not "docker"'],
    ['ssh arguments other than a jump', "web:\n  vars:\n    ansible_ssh_common_args: '-o StrictHostKeyChecking=no'\n  hosts:\n    w1:\n",
      'forklift: inventory.yml: line 3: web.vars.ansible_ssh_common_args: forklift reads only a jump host (-J HOST, -o ProxyJump=HOST) from OpenSSH arguments, not "-o StrictHostKeyChecking=no"; set forklift_jump for a jump host'],
    ['a bad jump', 'web:\n  hosts:\n    w1: { forklift_jump: "ops@" }\n',
      'forklift: inventory.yml: line 3: web.hosts.w1.forklift_jump: "ops@" is not "[user@]host[:port]"'],
    ['a group forklift cannot name', 'all:\n  children:\n    web_servers:\n      hosts:\n        w1:\n',
      'forklift: inventory.yml: line 5: all.children.web_servers.hosts.w1: host w1: group "web_servers": group names are 1-20 lowercase letters, digits or dashes, starting with a letter'],
    ['a misspelled group key', 'web:\n  host:\n    w1:\n',
      'forklift: inventory.yml: line 2: web.host: unknown key; a group has hosts, children and vars'],
    ['YAML that does not parse', 'web:\n  hosts:\n    w1: {\n',
      'forklift: inventory.yml: line 4: '],
    ['an INI inventory', '[web]\nw1 ansible_host=10.0.0.1\n',
      "forklift: inventory.yml: not a YAML inventory (Ansible's YAML form, all: with children, hosts and vars; INI inventories are not read)"],
  ];
  for (const [what, yaml, line] of cases) {
    test(what, () => {
      const message = `forklift: ${refusal(yaml)}`;
      if (line.endsWith(': ')) assert.ok(message.startsWith(line), message);
      else assert.equal(message, line);
    });
  }

  test('an inventory written as JSON (JSON is YAML) reads as its YAML form; a mistake in it names its line', () => {
    const yaml = 'all:\n  children:\n    web:\n      vars:\n        forklift_user: ops\n      hosts:\n        w[1:2]:\n        w3: { forklift_port: 2222 }\n';
    const json = JSON.stringify({ all: { children: { web: { vars: { forklift_user: 'ops' }, hosts: { 'w[1:2]': null, w3: { forklift_port: 2222 } } } } } }, null, 1);
    assert.deepEqual(hostsOf(inventoryDir(json), groups('web')), hostsOf(inventoryDir(yaml), groups('web')));
    const bad = JSON.stringify({ web: { hosts: { w1: { ansible_port: 'twenty-two' } } } }, null, 1);
    assert.equal(`forklift: ${refusal(bad)}`, 'forklift: inventory.yml: line 5: web.hosts.w1.ansible_port: must be a port, 1-65535, got "twenty-two"');
  });

  test('a missing file names where it was looked for; a host listed twice names both places', () => {
    const d = inventoryDir('web:\n  hosts:\n    w1:\n');
    assert.throws(() => hostsOf(d, groups('web'), 'inventroy.yml'), { message: `forklift.config.ts: provider.inventory: cannot read ${join(d, 'inventroy.yml')} (no such file)` });
    assert.throws(
      () => validateStack(defineConfig({ stack: 'inv', provider: { name: 'hosts', inventory: 'inventory.yml', hosts: [{ host: 'x', group: 'web', name: 'w1' }] }, groups: groups('web') }), 'forklift.config.ts', d),
      { message: 'forklift.config.ts: host w1 is listed twice: in provider.hosts.0 and the inventory (host w1); node names are unique' },
    );
  });
});
