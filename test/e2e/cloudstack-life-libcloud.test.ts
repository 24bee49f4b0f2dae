// A VM's whole life on the CloudStack-compatible endpoint, driven by Apache libcloud's
// CloudStack driver (Debian's python3-libcloud) as its users call it, each step checked on the
// real node. libcloud creates VMs stopped unless told (startvm=False), lists nodes together
// with public addresses and forwarding rules, and reaches commands it has no method for
// (recover, expunge) through its driver's own request methods, as its users do.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { before, test } from 'node:test';
import { createProvider as createLocal } from '../../src/providers/local/index.ts';
import { nodeFacts, python, PYTHON, sshWith, testEndpoint, userKey } from './endpoint.ts';
import { canConnect, ensureDebianPackage } from './helpers.ts';

const ep = testEndpoint('tlcl');
const run = `${process.pid}`;

before(async () => {
  ensureDebianPackage('python3-libcloud', () => spawnSync(PYTHON, ['-c', 'import libcloud']).status === 0);
  await ep.open();
});

/** One step of a libcloud session: `python3 -c SCRIPT step json-args`, printing JSON. */
const SCRIPT = String.raw`
import json, os, sys
from libcloud.compute.providers import get_driver
from libcloud.compute.types import Provider
url = os.environ['CS_URL']
# libcloud takes host, port and path from url, not the scheme: its users say secure=False for http.
d = get_driver(Provider.CLOUDSTACK)(key=os.environ['CS_KEY'], secret=os.environ['CS_SECRET'], url=url, secure=url.startswith('https:'))
step, a = sys.argv[1], json.loads(sys.argv[2])
def node(n):
    extra = {k: n.extra.get(k) for k in ('key_name', 'size_name', 'image_name', 'zone_name', 'security_group', 'tags', 'created')}
    return {'id': n.id, 'name': n.name, 'state': str(n.state), 'private_ips': n.private_ips, 'public_ips': n.public_ips, 'extra': extra,
            'rules': len(n.extra['port_forwarding_rules']) + len(n.extra['ip_forwarding_rules'])}
size = lambda name: [s for s in d.list_sizes() if s.name == name][0]
if step == 'setup':
    d.import_key_pair_from_string(a['key'], a['pub'])
    d.ex_create_security_group(a['group'])
    d.ex_authorize_security_group_ingress(a['group'], 'TCP', '0.0.0.0/0', 8080, 8080)
    out = {'sizes': [s.name for s in d.list_sizes()], 'images': [i.name for i in d.list_images()], 'locations': [l.name for l in d.list_locations()]}
elif step == 'create':
    image = d.list_images()[0]
    out = node(d.create_node(name=a['name'], size=size('Micro'), image=image, ex_keyname=a['key'], ex_security_groups=[a['group']], ex_userdata=a['userdata']))
elif step == 'list':
    out = [node(n) for n in d.list_nodes()]
elif step == 'get':
    out = node(d.ex_get_node(a['id']))
else:
    n = d.ex_get_node(a['id'])
    if step == 'start': out = d.ex_start(n)
    elif step == 'stop': out = d.ex_stop(n)
    elif step == 'reboot': out = d.reboot_node(n)
    elif step == 'resize': out = d.ex_change_node_size(n, size(a['size']))
    elif step == 'tag': out = d.ex_create_tags([n.id], 'UserVm', a['tags'])
    elif step == 'volumes': out = [{'name': v.name, 'size': v.size, 'state': str(v.state), 'type': v.extra.get('volume_type')} for v in d.list_volumes(n)]
    elif step == 'nets':
        out = {'networks': [x.name for x in d.ex_list_networks()], 'public_ips': len(d.ex_list_public_ips()), 'projects': len(d.ex_list_projects()),
               'affinity_groups': len(d.ex_list_affinity_groups()), 'os_types': [o['description'] for o in d.ex_list_os_types()], 'nics': len(d.ex_list_nics(n))}
    elif step == 'destroy': out = d.destroy_node(n, ex_expunge=a.get('expunge', False))
    elif step == 'recover': out = d._sync_request('recoverVirtualMachine', params={'id': n.id})['virtualmachine']['state']
print(json.dumps(out))
`;

async function lc(step: string, args: Record<string, unknown> = {}): Promise<any> {
  const r = await python(['-c', SCRIPT, step, JSON.stringify(args)], { CS_URL: ep.url, CS_KEY: ep.apiKey, CS_SECRET: ep.secretKey });
  assert.equal(r.code, 0, `libcloud ${step} failed: ${r.err}${r.out}`);
  return JSON.parse(r.out);
}

const localNode = async (vmId: string) => (await createLocal().listNodes(ep.localStack)).find((n) => n.tags['cloudstack-vm'] === vmId);

test('libcloud drives a VM through its whole life, and the node follows each step', async () => {
  const [key, pub] = userKey(ep, 'libcloud_key');
  const catalog = await lc('setup', { key: `lc-${run}`, pub, group: `lc-${run}` });
  assert.deepEqual([catalog.locations, catalog.images.length > 0, catalog.sizes.includes('Micro')], [['local-1'], true, true]);

  // create: libcloud asks for startvm=False by default: a Stopped VM, its port 22 closed.
  const userdata = '#!/bin/sh\necho from-libcloud > /root/userdata\n';
  const made = await lc('create', { name: `lc-${run}`, key: `lc-${run}`, group: `lc-${run}`, userdata });
  assert.equal(made.state, 'stopped');
  const ip: string = made.private_ips[0];
  assert.match(ip, /^10\.77\./);
  assert.equal(await canConnect(ip, 22), false);

  // list_nodes reads VMs with their public addresses and forwarding rules (none in a basic zone).
  const [listed] = (await lc('list')).filter((n: { id: string }) => n.id === made.id);
  assert.deepEqual([listed.state, listed.public_ips, listed.rules, listed.extra.key_name, listed.extra.security_group], ['stopped', [], 0, `lc-${run}`, [`lc-${run}`]]);

  // start: the node boots for the first time (user data runs); stop: port 22 closes; start: files kept.
  assert.equal(await lc('start', { id: made.id }), 'Running');
  assert.equal(sshWith(ip, key, 'cat /root/userdata'), 'from-libcloud');
  sshWith(ip, key, 'echo kept > /root/before-stop');
  assert.equal(await lc('stop', { id: made.id }), 'Stopped');
  assert.equal(await canConnect(ip, 22), false);
  assert.equal(await lc('start', { id: made.id }), 'Running');
  assert.equal(sshWith(ip, key, 'cat /root/before-stop'), 'kept');

  // reboot: a new boot id; resize: the node's memory limit follows.
  const before = nodeFacts(ip, key);
  assert.equal(await lc('reboot', { id: made.id }), true);
  assert.notEqual(nodeFacts(ip, key).bootId, before.bootId);
  assert.equal(before.memoryMiB, 512);
  await lc('resize', { id: made.id, size: 'Small' });
  assert.deepEqual([nodeFacts(ip, key).memoryMiB, (await lc('get', { id: made.id })).extra.size_name], [1024, 'Small']);

  // what libcloud users read about an instance: its ROOT volume (attached: "inuse"), networks, tags.
  assert.deepEqual(await lc('volumes', { id: made.id }), [{ name: `ROOT-lc-${run}`, size: 10 * 1024 ** 3, state: 'inuse', type: 'ROOT' }]);
  const nets = await lc('nets', { id: made.id });
  assert.deepEqual(nets, { networks: ['defaultGuestNetwork'], public_ips: 0, projects: 0, affinity_groups: 0, os_types: ['Debian GNU/Linux 12 (64-bit)'], nics: 1 });
  await lc('tag', { id: made.id, tags: { owner: `lc-${run}` } });
  assert.deepEqual((await lc('get', { id: made.id })).extra.tags, { owner: `lc-${run}` });

  // destroy: terminated, the node stopped and kept; recover; destroy with expunge: gone.
  assert.equal(await lc('destroy', { id: made.id }), true);
  assert.equal((await lc('get', { id: made.id })).state, 'terminated');
  assert.equal((await localNode(made.id))?.state, 'stopped');
  assert.equal(await lc('recover', { id: made.id }), 'Stopped');
  assert.equal(await lc('start', { id: made.id }), 'Running');
  assert.equal(sshWith(ip, key, 'cat /root/before-stop'), 'kept');
  assert.equal(await lc('destroy', { id: made.id, expunge: true }), true);
  assert.deepEqual((await lc('list')).filter((n: { id: string }) => n.id === made.id), []);
  assert.equal(await localNode(made.id), undefined);
});
