// The cloudstack provider: groups of VMs on an Apache CloudStack cloud, tagged with their
// stack and group; the tags are the only record of a stack.
import { ProviderError } from '../../errors.ts';
import { inboundPorts, type NodeSpec } from '../../spec/node.ts';
import { waitForSsh } from '../shared/ssh-wait.ts';
import { renderUserData } from '../shared/userdata.ts';
import { TAG, type CreateNodeRequest, type Provider, type ProviderContext, type Tags } from '../types.ts';
import { CloudStackClient, sleep } from './client.ts';
import { Cloud, displayName, type Catalog } from './cloud.ts';
import { breakLock, lockStack } from './lock.ts';
import { CloudStackError } from './errors.ts';
import { defaultKeyDir, keyPairName, localStackKey, registerKey, stackKeyFile, type StackKey } from './keys.ts';
import { resolveOptions, type CloudStackProviderOptions } from './options.ts';
import { ensureSecurityGroup } from './secgroup.ts';
import { chooseDisk, chooseOffering, chooseTemplate, chooseZone, templateFamily, templateVersion, type Deployment, type Zone } from './select.ts';
import { GONE_STATES, toNodeInfo, vmTags, type Vm } from './vm.ts';
import { shortPin } from '../../transport/hostkey.ts';

/** Deploy attempts when the cloud has no capacity (533) or a deploy job fails. */
const DEPLOY_ATTEMPTS = 4;

/** Base64 user data for deployVirtualMachine; CloudStack's 32 KiB limit counts the base64. */
export function encodeUserData(spec: NodeSpec): string | undefined {
  const text = renderUserData(spec, { provider: 'cloudstack', measure: 'base64' });
  return text === undefined ? undefined : Buffer.from(text, 'utf8').toString('base64');
}

export function createProvider(input: CloudStackProviderOptions = {}, context: ProviderContext = { log: () => {} }): Provider {
  const opts = resolveOptions(input);
  const { log } = context;
  const client = new CloudStackClient({
    endpoint: opts.endpoint,
    apiKey: opts.apiKey,
    secretKey: opts.secretKey,
    log,
    ...(opts.jobTimeoutMs ? { jobTimeoutMs: opts.jobTimeoutMs } : {}),
    ...(opts.backoffMs ? { backoffMs: opts.backoffMs } : {}),
  });
  const cloud = new Cloud(client);
  const keyDir = opts.keyDir ?? defaultKeyDir();
  const sshTimeoutMs = opts.sshTimeoutMs ?? 300_000;
  const memo = new Map<string, Promise<unknown>>();

  /** One shared promise per key (forgotten on failure, so a later call retries). */
  function once<T>(key: string, make: () => Promise<T>): Promise<T> {
    let p = memo.get(key) as Promise<T> | undefined;
    if (!p) {
      p = make();
      memo.set(key, p);
      p.catch(() => memo.delete(key));
    }
    return p;
  }

  const catalog = () => once('catalog', () => cloud.catalog((zones: Zone[]) => chooseZone(zones, opts.zone))) as Promise<Catalog & { zone: Zone }>;

  async function plan(spec: NodeSpec): Promise<Deployment> {
    const c = await catalog();
    const template = chooseTemplate(c.templates, spec);
    const offering = chooseOffering(c.offerings, spec);
    const diskOffering = chooseDisk(template, c.disks, spec);
    const image = `${templateFamily(template)}-${templateVersion(template)}`.replace(/-$/, '');
    return { zone: c.zone, template, offering, ...(diskOffering ? { diskOffering } : {}), image };
  }

  const stackKey = (stack: string) =>
    once(`key:${stack}`, async (): Promise<StackKey> => {
      const key = await localStackKey(keyDir, stack);
      await registerKey(client, key, stackKeyFile(keyDir, stack));
      return key;
    });

  async function waitRunning(id: string, signal?: AbortSignal): Promise<Vm> {
    const deadline = Date.now() + (opts.jobTimeoutMs ?? 900_000);
    for (let delay = 500; ; delay = Math.min(delay * 1.5, 5_000)) {
      const vm = await cloud.vm(id, signal);
      if (!vm) throw new ProviderError('cloudstack', `VM ${id} disappeared while starting`);
      if (vm.state === 'Running' && vm.nic?.[0]?.ipaddress) return vm;
      if (vm.state === 'Error') throw new CloudStackError('deployVirtualMachine', undefined, undefined, `VM ${vm.name} (${id}) is in state Error`);
      if (Date.now() > deadline) throw new ProviderError('cloudstack', `VM ${vm.name} (${id}) still ${vm.state} after ${Math.round((opts.jobTimeoutMs ?? 900_000) / 1000)} s`);
      await sleep(delay, signal);
    }
  }

  /** Deploy (or adopt the VM an interrupted create left), tag it at once, wait until it runs. */
  async function deployOnce(req: CreateNodeRequest, params: Record<string, string>, tags: Tags, signal?: AbortSignal): Promise<Vm> {
    let vm = await cloud.vmNamed(req.stack, req.group, req.name, signal);
    if (vm?.state === 'Error') {
      log(`cloudstack: removing VM ${vm.name} (${vm.id}), left in state Error by an earlier deploy`);
      await cloud.destroy(vm.id, signal);
      vm = undefined;
    }
    let id = vm?.id;
    let jobid: string | undefined;
    if (vm) log(`cloudstack: adopting VM ${vm.name} (${vm.id}) left by an interrupted create`);
    else {
      try {
        ({ id, jobid } = await client.call<{ id: string; jobid: string }>('deployVirtualMachine', params, { idempotent: false, signal }));
      } catch (err) {
        // No answer: the deploy may have run. Look before anything else (never deploy blindly twice).
        if (!(err instanceof CloudStackError) || err.status !== undefined) throw err;
        id = (await cloud.vmNamed(req.stack, req.group, req.name, signal))?.id;
        if (!id) throw err;
      }
    }
    await cloud.writeTags(id!, tags, vm ? undefined : {}, signal);
    try {
      if (jobid) await client.waitJob('deployVirtualMachine', jobid, signal);
      return await waitRunning(id!, signal);
    } catch (err) {
      const now = await cloud.vm(id!, signal).catch(() => undefined);
      if (now && now.state !== 'Running') {
        log(`cloudstack: removing VM ${now.name} (${id}), ${now.state} after a failed deploy`);
        await cloud.destroy(id!, signal);
      }
      throw err;
    }
  }

  return {
    name: 'cloudstack',

    lockStack: (stack, holder) => lockStack(client, stack, holder, log),
    breakLock: (stack) => breakLock(client, stack),

    async validate(spec) {
      encodeUserData(spec);
      await plan(spec);
    },

    async listUntagged(stack, signal) {
      // Deployed with the stack's key pair, named "<stack>/<name>" for its own name, and no stack tag: a create that died before createTags.
      const vms = await client.list<Vm>('listVirtualMachines', { keypair: keyPairName(stack) }, signal);
      return vms
        .filter((vm) => !GONE_STATES.includes(vm.state) && vm.displayname === displayName(stack, vm.name) && vmTags(vm)[TAG.stack] === undefined)
        .map((vm) => ({ ...toNodeInfo(vm, ''), group: '', state: 'error' as const }));
    },

    async listNodes(stack, signal) {
      const key = await localStackKey(keyDir, stack);
      const vms = await cloud.vmsTagged({ [TAG.stack]: stack }, signal);
      return vms
        .map((vm) => toNodeInfo(vm, key.privateKey))
        .filter((n) => n.group !== '')
        .sort((a, b) => a.name.localeCompare(b.name));
    },

    async createNode(req, signal) {
      const userdata = encodeUserData(req.nodeSpec); // refused before anything is created
      const d = await plan(req.nodeSpec);
      const key = await stackKey(req.stack);
      const ports = inboundPorts(req.nodeSpec);
      const sg = await once(`sg:${req.stack}/${req.group}:${ports.join(',')}`, () => ensureSecurityGroup(client, req.stack, req.group, ports));
      const tags: Tags = { ...req.tags, [TAG.stack]: req.stack, [TAG.group]: req.group, [TAG.image]: d.image };
      const params: Record<string, string> = {
        zoneid: d.zone.id,
        templateid: d.template.id,
        serviceofferingid: d.offering.id,
        ...(d.diskOffering ? { diskofferingid: d.diskOffering.id } : {}),
        name: req.name,
        displayname: displayName(req.stack, req.name),
        securitygroupnames: sg,
        keypair: key.name,
        ...(userdata ? { userdata } : {}),
      };
      for (let attempt = 1; ; attempt++) {
        try {
          const vm = await deployOnce(req, params, tags, signal);
          const node = toNodeInfo(vm, key.privateKey);
          await waitForSsh(node.address, { provider: 'cloudstack', timeoutMs: sshTimeoutMs, intervalMs: 200, maxIntervalMs: 3_000, ...(signal ? { signal } : {}) });
          return node;
        } catch (err) {
          const retry = err instanceof CloudStackError && (err.status === 533 || err.errorcode === 533 || err.status === undefined);
          if (!retry || attempt >= DEPLOY_ATTEMPTS) throw err;
          const delay = (opts.backoffMs ?? 500) * 2 ** attempt;
          log(`${err.message} (creating ${req.stack}/${req.name}); trying again in ${delay} ms`);
          await sleep(delay, signal);
        }
      }
    },

    async destroyNode(node, signal) {
      await cloud.destroy(node.id, signal);
    },

    async tagNode(node, tags, signal) {
      await cloud.writeTags(node.id, tags, undefined, signal);
    },

    async pinHostKey(node, key, signal) {
      // CloudStack tag values hold 255 characters: a longer key (RSA) is pinned by its fingerprint.
      const pin = shortPin(key);
      const vm = await cloud.vm(node.id, signal);
      const have = vm ? vmTags(vm) : {};
      const recorded = have[TAG.hostKey];
      if (recorded !== undefined && recorded !== pin) {
        throw new ProviderError('cloudstack', `VM ${node.name} (${node.id}): another host key was recorded for it meanwhile (tag ${TAG.hostKey}); refusing the key it offers`, { node: node.name });
      }
      await cloud.writeTags(node.id, { [TAG.hostKey]: pin }, have, signal);
    },

    async close() {},
  };
}
