// An inventory host as a hosts entry: forklift's connection variables (forklift_*), and the
// Ansible ones that mean the same (ansible_host, ansible_port, ansible_user,
// ansible_ssh_private_key_file, ansible_become, ProxyJump in ansible_ssh_common_args).
// When both are set for a host, the more specific place wins, as in Ansible, and forklift's
// name wins at the same place. Ansible connection settings forklift cannot honour
// (passwords, another connection plugin, become as another user) are refused by name rather
// than ignored. Every other variable is the node's (ctx.node.vars).
import { homedir } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { lineBlob } from '../../transport/hostkey.ts';
import { InventoryMistake, type InventoryHost, type Setting } from './inventory.ts';
import { parseJump } from './jump.ts';
import { GROUP_NAME, GROUP_NAME_RULE, NODE_NAME, type HostEntry } from './options.ts';

/** forklift's connection variables and the Ansible names read as each. */
export const CONNECTION_VARS = {
  forklift_host: ['ansible_host', 'ansible_ssh_host'],
  forklift_port: ['ansible_port', 'ansible_ssh_port'],
  forklift_user: ['ansible_user', 'ansible_ssh_user'],
  forklift_private_key_file: ['ansible_ssh_private_key_file', 'ansible_private_key_file'],
  forklift_jump: [],
  forklift_become: ['ansible_become'],
  forklift_host_key: [],
  forklift_state_dir: [],
  forklift_group: [],
} as const satisfies Record<string, readonly string[]>;

type Canonical = keyof typeof CONNECTION_VARS;
const ALIAS = new Map<string, Canonical>(Object.entries(CONNECTION_VARS).flatMap(([c, aliases]) => [[c, c as Canonical], ...aliases.map((a) => [a, c as Canonical] as const)]));

const PASSWORDS = ['ansible_password', 'ansible_ssh_pass', 'ansible_ssh_password', 'ansible_become_pass', 'ansible_become_password', 'ansible_sudo_pass', 'ansible_sudo_password'];
const SSH_ARGS = ['ansible_ssh_common_args', 'ansible_ssh_extra_args'];
/** Read here and not the node's variables. */
const CONSUMED = new Set([...ALIAS.keys(), ...SSH_ARGS, 'ansible_connection', 'ansible_become_method', 'ansible_become_user']);

export interface Placement {
  /** The folder of the inventory file: a relative key file is found from it. */
  dir: string;
  /** The groups the stack defines, to place a host several groups list. */
  groups: readonly string[];
}

export function hostEntry(host: InventoryHost, place: Placement): HostEntry {
  if (!NODE_NAME.test(host.name)) throw new InventoryMistake(host.at, `host name ${JSON.stringify(host.name)}: letters, digits, _ . - only`);
  const chosen = new Map<Canonical, { setting: Setting; own: boolean }>();
  const last = new Map<string, Setting>();
  for (const [key, setting] of host.settings) {
    last.set(key, setting);
    const canonical = ALIAS.get(key);
    if (canonical) {
      const own = key === canonical;
      const before = chosen.get(canonical);
      // Later wins, except an Ansible name does not override forklift's set at the same place.
      if (!before || setting.level > before.setting.level || own || !before.own) chosen.set(canonical, { setting, own });
    } else if (key.startsWith('forklift_')) {
      throw new InventoryMistake(setting.at, `unknown forklift variable; forklift's are ${Object.keys(CONNECTION_VARS).join(', ')}`);
    }
  }
  for (const key of PASSWORDS) {
    const s = last.get(key);
    if (s) throw new InventoryMistake(s.at, 'forklift logs in with keys only (a key file or ssh-agent) and runs sudo -n, never with a password; remove it');
  }
  refuseUnless(last.get('ansible_connection'), ['ssh', 'smart', 'paramiko'], 'forklift reaches hosts over SSH only');
  refuseUnless(last.get('ansible_become_method'), ['sudo'], 'forklift becomes root with sudo only');
  refuseUnless(last.get('ansible_become_user'), ['root'], 'forklift becomes root only');

  const get = (k: Canonical) => chosen.get(k)?.setting;
  const entry: HostEntry = { host: text(get('forklift_host')) ?? host.name, group: groupOf(host, text(get('forklift_group')), get('forklift_group'), place), name: host.name };
  const port = get('forklift_port');
  if (port) entry.port = portOf(port);
  const user = text(get('forklift_user'));
  if (user) entry.user = user;
  const key = text(get('forklift_private_key_file'));
  if (key) entry.privateKeyPath = key.startsWith('~/') ? homedir() + key.slice(1) : isAbsolute(key) ? key : resolve(place.dir, key);
  const jump = get('forklift_jump') ? text(get('forklift_jump')) : proxyJump(SSH_ARGS.map((k) => last.get(k)));
  if (jump) {
    const parsed = parseJump(jump);
    if (typeof parsed === 'string') throw new InventoryMistake((get('forklift_jump') ?? SSH_ARGS.map((k) => last.get(k)).find(Boolean))!.at, parsed);
    entry.jump = jump;
  }
  const become = get('forklift_become');
  if (become) entry.become = bool(become);
  const hostKey = text(get('forklift_host_key'));
  if (hostKey !== undefined) {
    if (!lineBlob(hostKey)) throw new InventoryMistake(get('forklift_host_key')!.at, 'must be an OpenSSH public key line ("ssh-ed25519 AAAA...")');
    entry.hostKey = hostKey;
  }
  const stateDir = text(get('forklift_state_dir'));
  if (stateDir !== undefined) {
    if (!stateDir.startsWith('/')) throw new InventoryMistake(get('forklift_state_dir')!.at, 'must be an absolute path');
    entry.stateDir = stateDir;
  }
  const vars = Object.fromEntries([...last].filter(([k]) => !CONSUMED.has(k)).map(([k, s]) => [k, s.value]));
  if (Object.keys(vars).length) entry.vars = vars;
  return entry;
}

/** The one group a host belongs to in forklift. */
function groupOf(host: InventoryHost, explicit: string | undefined, at: Setting | undefined, place: Placement): string {
  let group = explicit;
  if (group === undefined) {
    if (host.groups.length === 0) {
      throw new InventoryMistake(host.at, `host ${host.name} is in no group (listed only under ${host.at.slice(0, -2).join('.') || 'all'}.hosts); a forklift node belongs to one group: list it under a group's hosts`);
    }
    const defined = host.groups.filter((g) => place.groups.includes(g));
    group = host.groups.length === 1 ? host.groups[0]! : defined.length === 1 ? defined[0] : undefined;
    if (group === undefined) {
      const why = defined.length ? `the stack defines ${defined.join(' and ')}` : 'the stack defines none of them';
      throw new InventoryMistake(host.at, `host ${host.name} is in groups ${host.groups.join(', ')} and ${why}; a forklift node belongs to one group: set forklift_group for it`);
    }
  }
  if (!GROUP_NAME.test(group)) throw new InventoryMistake(at?.at ?? host.at, `host ${host.name}: group ${JSON.stringify(group)}: ${GROUP_NAME_RULE}`);
  return group;
}

function text(s: Setting | undefined): string | undefined {
  if (!s) return undefined;
  if (typeof s.value === 'string' && s.value.trim()) return s.value.trim();
  if (typeof s.value === 'number') return String(s.value);
  throw new InventoryMistake(s.at, `must be a string, got ${JSON.stringify(s.value)}`);
}

function portOf(s: Setting): number {
  const n = typeof s.value === 'string' && /^\d+$/.test(s.value.trim()) ? Number(s.value) : s.value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 65535) throw new InventoryMistake(s.at, `must be a port, 1-65535, got ${JSON.stringify(s.value)}`);
  return n;
}

/** A boolean as Ansible reads one: true/false, yes/no, on/off, 1/0. */
function bool(s: Setting): boolean {
  if (typeof s.value === 'boolean') return s.value;
  const v = String(s.value).trim().toLowerCase();
  if (['true', 'yes', 'on', '1', 'y'].includes(v)) return true;
  if (['false', 'no', 'off', '0', 'n'].includes(v)) return false;
  throw new InventoryMistake(s.at, `must be true or false, got ${JSON.stringify(s.value)}`);
}

function refuseUnless(s: Setting | undefined, allowed: readonly string[], why: string): void {
  if (s && !allowed.includes(String(s.value))) throw new InventoryMistake(s.at, `${why}, not ${JSON.stringify(s.value)}`);
}

/** ProxyJump out of OpenSSH arguments (-J X, -o ProxyJump=X); any other argument is refused. */
function proxyJump(settings: Array<Setting | undefined>): string | undefined {
  let jump: string | undefined;
  for (const s of settings) {
    if (!s) continue;
    if (typeof s.value !== 'string') throw new InventoryMistake(s.at, 'must be a string of ssh arguments');
    const words = s.value.match(/"[^"]*"|'[^']*'|\S+/g)?.map((w) => w.replace(/^(["'])(.*)\1$/, '$2')) ?? [];
    for (let i = 0; i < words.length; i++) {
      const w = words[i]!;
      const option = w === '-o' ? words[++i] : w.startsWith('-o') ? w.slice(2) : undefined;
      const value = w === '-J' ? words[++i] : w.startsWith('-J') ? w.slice(2) : /^ProxyJump[= ]/i.test(option ?? '') ? option!.replace(/^ProxyJump[= ]\s*/i, '') : undefined;
      if (value) {
        jump = value;
        continue;
      }
      throw new InventoryMistake(s.at, `forklift reads only a jump host (-J HOST, -o ProxyJump=HOST) from OpenSSH arguments, not ${JSON.stringify(option ? `-o ${option}` : w)}; set forklift_jump for a jump host`);
    }
  }
  return jump;
}
