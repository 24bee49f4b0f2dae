// CloudStack VMs as forklift nodes, and waiting for a new VM's SSH port.
import { connect } from 'node:net';
import { ProviderError } from '../../errors.ts';
import { TAG, type NodeInfo, type NodeState, type Tags } from '../types.ts';
import { sleep } from './client.ts';

export interface Vm {
  id: string;
  name: string;
  displayname?: string;
  state: string;
  nic?: Array<{ ipaddress?: string }>;
  tags?: Array<{ key: string; value: string }>;
}

export const GONE_STATES = ['Destroyed', 'Expunging'];

const STATES: Record<string, NodeState> = {
  Running: 'running',
  Starting: 'pending',
  Stopping: 'stopped',
  Stopped: 'stopped',
  Error: 'error',
};

export function vmTags(vm: Vm): Tags {
  return Object.fromEntries((vm.tags ?? []).map((t) => [t.key, t.value]));
}

export function toNodeInfo(vm: Vm, privateKey: string): NodeInfo {
  const tags = vmTags(vm);
  const address = vm.nic?.[0]?.ipaddress ?? '';
  return {
    id: vm.id,
    name: vm.name,
    group: tags[TAG.group] ?? '',
    address,
    state: STATES[vm.state] ?? 'error',
    tags,
    ssh: { host: address, port: 22, user: 'root', privateKey },
  };
}

/** Resolve once host:port accepts a TCP connection and sends an SSH banner. */
export async function waitForSsh(host: string, port: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delay = 200;
  for (;;) {
    if (await sshBanner(host, port, Math.min(5_000, Math.max(500, deadline - Date.now())))) return;
    if (Date.now() + delay > deadline) throw new ProviderError('cloudstack', `${host}:${port} did not answer SSH within ${Math.round(timeoutMs / 1000)} s`);
    await sleep(delay, signal);
    delay = Math.min(delay * 1.5, 3_000);
  }
}

function sshBanner(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('data', (d: Buffer) => done(d.toString('latin1').startsWith('SSH-')));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
    socket.once('end', () => done(false));
  });
}
