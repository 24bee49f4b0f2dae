// Lightweight SSH hosts for the fleet bench: per host one network namespace, one veth pair
// and one OpenSSH sshd, all sharing this machine's filesystem; each host has its own folder
// (root/ for the plan's files, state/ for forklift's tags) and its own sshd log at LogLevel
// VERBOSE, from which the bench counts connections and exec calls on the hosts' side.
//
// Addresses: a /21 of 10.251.0.0/16 per fleet, a /30 per host (controller side .1, host .2);
// the hosts have no default route, so they reach nothing but the controller. Everything
// made is named after the fleet's id (netns `fleet-<id>-<i>`, veth `vf<id>-<i>`) and removed
// by those names: `removeFleet` kills the processes inside each of its namespaces and
// deletes the namespaces (which deletes their veths). A fleet left by a killed bench is
// removed with `npx tsx bench/fleet.ts --remove <id>`.
//
// Needs root and /usr/sbin/sshd (Debian's openssh-server; the service itself need not run:
// `touch /etc/ssh/sshd_not_to_be_run` before installing keeps it stopped).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export const FLEET_ROOT = resolve(import.meta.dirname, '..', '.tmp', 'fleet');
const SSHD = '/usr/sbin/sshd';
const SUBNET = [10, 251];

export interface FleetHost {
  /** forklift's node name, e.g. h007. */
  name: string;
  ns: string;
  veth: string;
  address: string;
  /** Controller-side address of the veth pair. */
  gateway: string;
  dir: string;
  /** Where the plan works (its own directory). */
  root: string;
  stateDir: string;
  log: string;
  pidFile: string;
  /** "ssh-ed25519 AAAA..." */
  hostKey: string;
}

export interface Fleet {
  id: string;
  dir: string;
  /** The client's private key file (root logs in with it). */
  key: string;
  hosts: FleetHost[];
}

function sh(script: string): Promise<{ code: number; out: string }> {
  return new Promise((done) => {
    const child = spawn('sh', ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => done({ code: code ?? 1, out }));
    child.on('error', (e) => done({ code: 127, out: e.message }));
  });
}

async function mustSh(script: string, what: string): Promise<string> {
  const r = await sh(script);
  if (r.code !== 0) throw new Error(`${what}: exit ${r.code}: ${r.out.trim().split('\n').slice(-3).join(' | ')}`);
  return r.out;
}

async function eachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const item = items[next++]!;
        await fn(item).catch((e: unknown) => errors.push(e));
      }
    }),
  );
  if (errors.length) throw errors[0];
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Claim a free /21 block: a claim is a folder named after the block under FLEET_ROOT/claims
 * holding the owner's pid; a claim whose process is gone is taken over.
 */
function claimBlock(id: string): number {
  const claims = join(FLEET_ROOT, 'claims');
  mkdirSync(claims, { recursive: true });
  for (let block = 0; block < 32; block++) {
    const path = join(claims, String(block));
    try {
      mkdirSync(path);
    } catch {
      const owner = readText(join(path, 'owner'));
      const pid = Number(owner?.split(' ')[0]);
      if (pid && existsSync(`/proc/${pid}`)) continue;
      if (!owner && Date.now() - statSync(path).mtimeMs < 10_000) continue; // being claimed now
    }
    writeFileSync(join(path, 'owner'), `${process.pid} ${id}\n`);
    return block;
  }
  throw new Error('no free address block for a fleet (32 claimed)');
}

function releaseBlock(id: string): void {
  const claims = join(FLEET_ROOT, 'claims');
  for (const b of existsSync(claims) ? readdirSync(claims) : []) {
    if (readText(join(claims, b, 'owner'))?.trim().split(' ')[1] === id) rmSync(join(claims, b), { recursive: true, force: true });
  }
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

const sshdConfig = (h: FleetHost, authorized: string) => `ListenAddress ${h.address}:22
HostKey ${join(h.dir, 'host_ed25519')}
PidFile ${h.pidFile}
AuthorizedKeysFile ${authorized}
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
UseDNS no
PrintMotd no
PrintLastLog no
LogLevel VERBOSE
MaxStartups 200:30:400
Subsystem sftp internal-sftp
`;

/** A fleet's hosts as their folders describe them (for removal and reuse). */
export function describeFleet(id: string, n: number, block: number): Fleet {
  const dir = join(FLEET_ROOT, id);
  const hosts: FleetHost[] = [];
  for (let i = 0; i < n; i++) {
    const name = `h${String(i).padStart(3, '0')}`;
    const base = block * 2048 + i * 4;
    const ip = (k: number) => `${SUBNET[0]}.${SUBNET[1]}.${(base + k) >> 8}.${(base + k) & 255}`;
    const hdir = join(dir, 'hosts', name);
    hosts.push({
      name,
      ns: `fleet-${id}-${i}`,
      veth: `vf${id}-${i}`,
      gateway: ip(1),
      address: ip(2),
      dir: hdir,
      root: join(hdir, 'root'),
      stateDir: join(hdir, 'state'),
      log: join(hdir, 'sshd.log'),
      pidFile: join(hdir, 'sshd.pid'),
      hostKey: '',
    });
  }
  return { id, dir, key: join(dir, 'id_ed25519'), hosts };
}

/** Make n hosts; on any failure everything made so far is removed and the error thrown. */
export async function makeFleet(n: number, opts: { id?: string; log?: (m: string) => void; loginRc?: boolean } = {}): Promise<Fleet> {
  if (n < 1 || n > 512) throw new Error('a fleet has 1..512 hosts');
  if (!existsSync(SSHD)) throw new Error(`${SSHD} is missing: touch /etc/ssh/sshd_not_to_be_run && apt-get install -y --no-install-recommends openssh-server`);
  const id = opts.id ?? (process.pid % 46656).toString(36).padStart(3, '0') + Math.floor(Math.random() * 36).toString(36);
  if (!/^[a-z0-9]{1,5}$/.test(id)) throw new Error('a fleet id is 1-5 lowercase letters or digits');
  const block = claimBlock(id);
  const fleet = describeFleet(id, n, block);
  writeFleetRecord(fleet, block);
  try {
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    await mustSh(`ssh-keygen -q -t ed25519 -N '' -C fleet-${id} -f ${q(fleet.key)}`, 'client key');
    const authorized = join(fleet.dir, 'authorized_keys');
    writeFileSync(authorized, readFileSync(`${fleet.key}.pub`));
    for (const h of fleet.hosts) mkdirSync(h.root, { recursive: true }), mkdirSync(h.stateDir, { recursive: true });
    // sshd runs every command through root's login shell, and Debian's bash reads ~/.bashrc
    // when sshd starts it: this machine's (pyenv init, ~130 ms) would be most of each exec's
    // cost. Unless loginRc, each sshd runs in a mount namespace of its own where that one
    // file reads empty (the rest of the filesystem is shared as it is).
    const rc = join(homedir(), '.bashrc');
    const masked = !opts.loginRc && existsSync(rc);
    if (masked) writeFileSync(join(fleet.dir, 'empty.bashrc'), '');
    const start = (h: FleetHost) => {
      const sshd = `${SSHD} -f ${q(join(h.dir, 'sshd_config'))} -E ${q(h.log)}`;
      return masked ? `unshare -m --propagation private sh -c ${q(`mount --bind ${q(join(fleet.dir, 'empty.bashrc'))} ${q(rc)} && exec ${sshd}`)}` : sshd;
    };
    // Links first, in one `ip -batch` (the namespace side per host below).
    const batch = fleet.hosts.flatMap((h) => [`netns add ${h.ns}`, `link add ${h.veth} type veth peer name eth0 netns ${h.ns}`, `addr add ${h.gateway}/30 dev ${h.veth}`, `link set ${h.veth} up`]);
    writeFileSync(join(fleet.dir, 'links.batch'), `${batch.join('\n')}\n`);
    await mustSh(`ip -batch ${q(join(fleet.dir, 'links.batch'))}`, 'netns and veths');
    await eachLimited(fleet.hosts, 16, async (h) => {
      await mustSh(`ssh-keygen -q -t ed25519 -N '' -C ${h.name} -f ${q(join(h.dir, 'host_ed25519'))}`, `${h.name}: host key`);
      h.hostKey = readFileSync(join(h.dir, 'host_ed25519.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ');
      writeFileSync(join(h.dir, 'sshd_config'), sshdConfig(h, authorized));
      await mustSh(
        `ip -n ${h.ns} addr add ${h.address}/30 dev eth0 && ip -n ${h.ns} link set eth0 up && ip -n ${h.ns} link set lo up && ip netns exec ${h.ns} ${start(h)}`,
        `${h.name}: address and sshd`,
      );
    });
    writeFleetRecord(fleet, block);
    await waitListening(fleet);
    opts.log?.(`fleet ${id}: ${n} hosts on ${fleet.hosts[0]!.address}..${fleet.hosts.at(-1)!.address}`);
    return fleet;
  } catch (e) {
    await removeFleet(id).catch(() => undefined);
    throw e;
  }
}

/** Every sshd has its pid file (it writes it once listening). */
async function waitListening(fleet: Fleet): Promise<void> {
  const t0 = Date.now();
  while (fleet.hosts.some((h) => !existsSync(h.pidFile))) {
    if (Date.now() - t0 > 30_000) throw new Error(`sshd not started on ${fleet.hosts.filter((h) => !existsSync(h.pidFile)).map((h) => h.name).join(' ')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function writeFleetRecord(fleet: Fleet, block: number): void {
  mkdirSync(fleet.dir, { recursive: true });
  writeFileSync(join(fleet.dir, 'fleet.json'), `${JSON.stringify({ id: fleet.id, n: fleet.hosts.length, block, pid: process.pid }, null, 2)}\n`);
}

/** Remove a fleet by its id: the processes in its namespaces, the namespaces, its folder, its address claim. */
export async function removeFleet(id: string): Promise<void> {
  if (!/^[a-z0-9]{1,5}$/.test(id)) throw new Error('a fleet id is 1-5 lowercase letters or digits');
  const record = readText(join(FLEET_ROOT, id, 'fleet.json'));
  const { n, block } = record ? (JSON.parse(record) as { n: number; block: number }) : { n: 0, block: 0 };
  const fleet = describeFleet(id, n, block);
  // Namespaces by exact name only: those of this fleet that exist.
  const present = new Set((await sh('ip netns list')).out.split('\n').map((l) => l.split(' ')[0]!));
  const ours = fleet.hosts.filter((h) => present.has(h.ns));
  // sshd and any session still running inside these namespaces: one pass over /proc
  // (`ip netns pids` scans it once per namespace).
  killInside(ours.map((h) => h.ns), 'SIGTERM');
  await new Promise((r) => setTimeout(r, 300));
  killInside(ours.map((h) => h.ns), 'SIGKILL');
  if (ours.length) {
    writeFileSync(join(FLEET_ROOT, `${id}.del.batch`), `${ours.map((h) => `netns del ${h.ns}`).join('\n')}\n`);
    await sh(`ip -force -batch ${q(join(FLEET_ROOT, `${id}.del.batch`))}`);
    rmSync(join(FLEET_ROOT, `${id}.del.batch`), { force: true });
  }
  // A veth whose namespace add failed half-way is left in the root namespace: by its exact name.
  const links = new Set((await sh('ip -o link show')).out.split('\n').map((l) => l.split(': ')[1]?.split('@')[0]));
  for (const h of fleet.hosts) if (links.has(h.veth)) await sh(`ip link del ${h.veth}`);
  rmSync(fleet.dir, { recursive: true, force: true });
  releaseBlock(id);
}

/** Signal every process whose network namespace is one of `names` (ours, by exact name). */
function killInside(names: string[], signal: NodeJS.Signals): void {
  const inodes = new Set<number>();
  for (const ns of names) {
    try {
      inodes.add(statSync(`/run/netns/${ns}`).ino);
    } catch {
      /* gone */
    }
  }
  if (!inodes.size) return;
  for (const d of readdirSync('/proc')) {
    if (d.charCodeAt(0) > 57 || Number(d) === process.pid) continue;
    try {
      const m = /^net:\[(\d+)\]$/.exec(readlinkSync(`/proc/${d}/ns/net`));
      if (m && inodes.has(Number(m[1]))) process.kill(Number(d), signal);
    } catch {
      /* gone, or not ours to read */
    }
  }
}

// ---------- counting on the hosts' side ----------

/** Bytes of each host's sshd log so far: pass to `countSince` after a run. */
export function logMarks(fleet: Fleet): number[] {
  return fleet.hosts.map((h) => (existsSync(h.log) ? statSync(h.log).size : 0));
}

export interface HostCounts {
  connections: number;
  execs: number;
}

const TICK_MS = 10; // USER_HZ 100

/** CPU ms of a process and the children it reaped (utime stime cutime cstime). */
export function cpuMs(pid: number): number {
  const stat = readText(`/proc/${pid}/stat`);
  if (!stat) return 0;
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * TICK_MS;
}

/**
 * CPU ms the hosts' sshd listeners and everything they forked (connections, sessions,
 * shells: all reaped in turn) have used so far, summed: take it before and after a run.
 */
export function hostsCpuMs(hosts: FleetHost[]): number {
  let sum = 0;
  for (const h of hosts) {
    const pid = Number(readText(h.pidFile)?.trim());
    if (pid) sum += cpuMs(pid);
  }
  return sum;
}

/**
 * Connections (sshd: "Accepted publickey") and exec calls ("Starting session: command|shell|
 * subsystem") each host logged since the marks.
 */
export function countSince(fleet: Fleet, marks: number[]): HostCounts[] {
  return fleet.hosts.map((h, i) => {
    const text = readText(h.log)?.slice(marks[i] ?? 0) ?? '';
    return { connections: (text.match(/Accepted publickey for /g) ?? []).length, execs: (text.match(/Starting session: /g) ?? []).length };
  });
}
