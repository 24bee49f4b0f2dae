// A VM's whole life on the CloudStack-compatible endpoint, driven by go-cloudstack (Debian's
// golang-github-xanzy-go-cloudstack-dev, the client Terraform's and Packer's CloudStack
// plugins are built on), each step checked on the real node. go-cloudstack reads every
// answer into typed structs: a field of the wrong JSON type fails it, so it checks the
// endpoint's field types against the ones its authors took from CloudStack.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { before, test } from 'node:test';
import { createProvider as createLocal } from '../../src/providers/local/index.ts';
import { nodeFacts, sshWith, testEndpoint, userKey } from './endpoint.ts';
import { canConnect, ensureDebianPackage } from './helpers.ts';

const ep = testEndpoint('tgol');
const run = `${process.pid}`;
const GOPATH = '/usr/share/gocode';
const LIBRARY = `${GOPATH}/src/github.com/xanzy/go-cloudstack/cloudstack`;
const binary = join(ep.tmp, 'golife');
const execFileAsync = promisify(execFile);

/** One step per run: `golife step json-args` prints the step's answer as JSON. */
const PROGRAM = String.raw`package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/xanzy/go-cloudstack/cloudstack"
)

func main() {
	cs := cloudstack.NewAsyncClient(os.Getenv("CS_URL"), os.Getenv("CS_KEY"), os.Getenv("CS_SECRET"), false)
	var a map[string]string
	json.Unmarshal([]byte(os.Args[2]), &a)
	out, err := step(cs, os.Args[1], a)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	b, _ := json.Marshal(out)
	fmt.Println(string(b))
}

func step(cs *cloudstack.CloudStackClient, name string, a map[string]string) (interface{}, error) {
	vm := cs.VirtualMachine
	switch name {
	case "setup":
		if _, err := cs.SSH.RegisterSSHKeyPair(cs.SSH.NewRegisterSSHKeyPairParams(a["key"], a["pub"])); err != nil {
			return nil, err
		}
		zones, err := cs.Zone.ListZones(cs.Zone.NewListZonesParams())
		if err != nil {
			return nil, err
		}
		templates, err := cs.Template.ListTemplates(cs.Template.NewListTemplatesParams("executable"))
		if err != nil {
			return nil, err
		}
		offerings, err := cs.ServiceOffering.ListServiceOfferings(cs.ServiceOffering.NewListServiceOfferingsParams())
		if err != nil {
			return nil, err
		}
		ids := map[string]string{"zone": zones.Zones[0].Id, "template": templates.Templates[0].Id}
		for _, o := range offerings.ServiceOfferings {
			ids[o.Name] = o.Id
		}
		return ids, nil
	case "deploy":
		p := vm.NewDeployVirtualMachineParams(a["offering"], a["template"], a["zone"])
		p.SetName(a["name"])
		p.SetKeypair(a["key"])
		p.SetStartvm(a["startvm"] == "true")
		return vm.DeployVirtualMachine(p)
	case "get":
		v, _, err := vm.GetVirtualMachineByID(a["id"])
		return v, err
	case "start":
		return vm.StartVirtualMachine(vm.NewStartVirtualMachineParams(a["id"]))
	case "stop":
		return vm.StopVirtualMachine(vm.NewStopVirtualMachineParams(a["id"]))
	case "reboot":
		return vm.RebootVirtualMachine(vm.NewRebootVirtualMachineParams(a["id"]))
	case "update":
		p := vm.NewUpdateVirtualMachineParams(a["id"])
		p.SetDisplayname(a["displayname"])
		return vm.UpdateVirtualMachine(p)
	case "scale":
		return vm.ScaleVirtualMachine(vm.NewScaleVirtualMachineParams(a["id"], a["offering"]))
	case "changeservice":
		return vm.ChangeServiceForVirtualMachine(vm.NewChangeServiceForVirtualMachineParams(a["id"], a["offering"]))
	case "resetkey":
		return cs.SSH.ResetSSHKeyForVirtualMachine(cs.SSH.NewResetSSHKeyForVirtualMachineParams(a["id"], a["key"]))
	case "volumes":
		p := cs.Volume.NewListVolumesParams()
		p.SetVirtualmachineid(a["id"])
		return cs.Volume.ListVolumes(p)
	case "lists":
		nets, err := cs.Network.ListNetworks(cs.Network.NewListNetworksParams())
		if err != nil {
			return nil, err
		}
		ips, err := cs.Address.ListPublicIpAddresses(cs.Address.NewListPublicIpAddressesParams())
		if err != nil {
			return nil, err
		}
		rules, err := cs.Firewall.ListPortForwardingRules(cs.Firewall.NewListPortForwardingRulesParams())
		if err != nil {
			return nil, err
		}
		groups, err := cs.AffinityGroup.ListAffinityGroups(cs.AffinityGroup.NewListAffinityGroupsParams())
		if err != nil {
			return nil, err
		}
		nics, err := cs.Nic.ListNics(cs.Nic.NewListNicsParams(a["id"]))
		if err != nil {
			return nil, err
		}
		// Not ListCapabilities: go-cloudstack 2.9 reads its answer as a list, which CloudStack never
		// sends (xanzy/go-cloudstack#133, fixed after Debian's version).
		return map[string]interface{}{"networks": nets.Count, "publicips": ips.Count, "rules": rules.Count, "affinitygroups": groups.Count,
			"nic": nics.Nics[0].Ipaddress}, nil
	case "destroy":
		p := vm.NewDestroyVirtualMachineParams(a["id"])
		p.SetExpunge(a["expunge"] == "true")
		return vm.DestroyVirtualMachine(p)
	case "recover":
		return vm.RecoverVirtualMachine(vm.NewRecoverVirtualMachineParams(a["id"]))
	case "expunge":
		return vm.ExpungeVirtualMachine(vm.NewExpungeVirtualMachineParams(a["id"]))
	}
	return nil, fmt.Errorf("no step %s", name)
}
`;

before(async () => {
  ensureDebianPackage('golang-go', () => spawnSync('go', ['version']).status === 0);
  ensureDebianPackage('golang-github-xanzy-go-cloudstack-dev', () => spawnSync('test', ['-d', LIBRARY]).status === 0);
  writeFileSync(join(ep.tmp, 'main.go'), PROGRAM);
  // GOPATH mode: the library as Debian installs it, no module download.
  const built = spawnSync('go', ['build', '-o', binary, 'main.go'], { cwd: ep.tmp, env: { ...process.env, GO111MODULE: 'off', GOPATH, GOFLAGS: '' }, encoding: 'utf8', timeout: 600_000 });
  assert.equal(built.status, 0, `go build: ${built.stderr}`);
  await ep.open();
});

async function go(step: string, args: Record<string, string> = {}): Promise<any> {
  try {
    const { stdout } = await execFileAsync(binary, [step, JSON.stringify(args)], { env: { CS_URL: ep.url, CS_KEY: ep.apiKey, CS_SECRET: ep.secretKey }, encoding: 'utf8', timeout: 300_000 });
    return JSON.parse(stdout);
  } catch (err) {
    const e = err as { stderr?: string };
    throw new Error(`go-cloudstack ${step} failed: ${e.stderr ?? String(err)}`);
  }
}

const localNode = async (vmId: string) => (await createLocal().listNodes(ep.localStack)).find((n) => n.tags['cloudstack-vm'] === vmId);

test('go-cloudstack drives a VM through its whole life, and the node follows each step', async () => {
  const [key, pub] = userKey(ep, 'go_key');
  const [newKey, newPub] = userKey(ep, 'go_key2');
  const ids = await go('setup', { key: `go-${run}`, pub });
  await go('setup', { key: `go2-${run}`, pub: newPub });

  const vm = await go('deploy', { zone: ids.zone, template: ids.template, offering: ids.Micro, name: `go-${run}`, key: `go-${run}`, startvm: 'false' });
  assert.equal(vm.state, 'Stopped');
  const ip: string = vm.nic[0].ipaddress;
  assert.equal(await canConnect(ip, 22), false);
  assert.equal((await go('start', { id: vm.id })).state, 'Running');
  sshWith(ip, key, 'echo kept > /root/before-stop');

  assert.equal((await go('stop', { id: vm.id })).state, 'Stopped');
  assert.equal(await canConnect(ip, 22), false, 'port 22 closes when the VM stops');
  assert.equal((await go('start', { id: vm.id })).state, 'Running');
  assert.equal(sshWith(ip, key, 'cat /root/before-stop'), 'kept');
  const booted = nodeFacts(ip, key);
  await go('reboot', { id: vm.id });
  assert.notEqual(nodeFacts(ip, key).bootId, booted.bootId);

  // go-cloudstack 2.9 reads the synchronous VM answers (update, changeservice, recover) as if the
  // VM were not nested in "virtualmachine", as CloudStack nests it: it gets empty fields back, so
  // each is checked by reading the VM again (GetVirtualMachineByID).
  const now = () => go('get', { id: vm.id });
  await go('update', { id: vm.id, displayname: 'Go VM' });
  assert.equal((await now()).displayname, 'Go VM');
  await go('scale', { id: vm.id, offering: ids.Small });
  assert.deepEqual([(await now()).serviceofferingname, nodeFacts(ip, key).memoryMiB], ['Small', 1024]);
  await go('stop', { id: vm.id });
  assert.equal((await go('resetkey', { id: vm.id, key: `go2-${run}` })).keypair, `go2-${run}`);
  await go('changeservice', { id: vm.id, offering: ids.Micro });
  assert.equal((await now()).serviceofferingname, 'Micro');
  await go('start', { id: vm.id });
  assert.deepEqual([sshWith(ip, newKey, 'cat /root/before-stop'), nodeFacts(ip, newKey).memoryMiB], ['kept', 512]);

  const [volume] = (await go('volumes', { id: vm.id })).volume;
  assert.deepEqual([volume.type, volume.virtualmachineid, volume.deviceid], ['ROOT', vm.id, 0]);
  assert.deepEqual(await go('lists', { id: vm.id }), { networks: 1, publicips: 0, rules: 0, affinitygroups: 0, nic: ip });

  await go('destroy', { id: vm.id });
  assert.deepEqual([(await now()).state, (await localNode(vm.id))?.state], ['Destroyed', 'stopped']);
  await go('recover', { id: vm.id });
  assert.equal((await now()).state, 'Stopped');
  await go('destroy', { id: vm.id });
  assert.equal((await go('expunge', { id: vm.id })).success, true);
  await assert.rejects(go('get', { id: vm.id }), /No match found/);
  assert.equal(await localNode(vm.id), undefined);
});
