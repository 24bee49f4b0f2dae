// A node's facts, read on the node: OS, architecture, CPUs, memory, host name, address.
// The same shell function gathers them on a node's first connection (a command of its own)
// and at the end of every phase script (a trailer), as one length-prefixed record on
// stdout; the engine keeps them in a tag (compact JSON) and records them again only when
// they changed, so a no-op run plans with fresh facts at no extra round trip.
//
// The shell side forks little: os-release, /proc/meminfo, the kernel's host name, release
// and architecture (/proc/sys/kernel) and the CPUs this process may use (/proc/self/status)
// are read with the shell's own `read`; `ip` runs for the address; dpkg runs only when the
// architecture is not the one the caller already knows the package architecture of (it does
// not change while the machine's does not).

export interface NodeFacts {
  os: {
    /** os-release ID: "debian", "ubuntu". */
    family: string;
    /** os-release VERSION_ID: "12", "22.04"; "" when the release has none (Debian testing). */
    version: string;
    /** os-release VERSION_CODENAME: "bookworm", "jammy"; "" when it has none. */
    codename: string;
    /** os-release ID_LIKE: the families it derives from (Ubuntu: ["debian"]). */
    like: string[];
  };
  /** `uname -m`: "x86_64", "aarch64". */
  architecture: string;
  /** dpkg's name for it: "amd64", "arm64"; "" on a node without dpkg. */
  packageArchitecture: string;
  /** Processors online (`nproc`). */
  cpus: number;
  /** Total memory, MiB (MemTotal). */
  memoryMiB: number;
  /** The kernel's node name (`uname -n`). */
  hostname: string;
  /** The node's primary IPv4 address: the source of its default route; "" when it has none. */
  address: string;
  /** `uname -r`. */
  kernel: string;
}

export const FACTS_MARK = '@@forklift-facts';

/**
 * Defines fl_facts [ARCH DPKG], which prints the facts record; given the architecture and
 * package architecture known from the last facts, dpkg is not asked again while the
 * architecture is the same. Needs LC_ALL=C (lengths in bytes).
 */
export const FACTS_FUNCTION = `fl_facts() {
  fl_f=
  for fl_r in /etc/os-release /usr/lib/os-release; do [ -r "$fl_r" ] && break; done
  if [ -r "$fl_r" ]; then
    while IFS= read -r fl_l || [ -n "$fl_l" ]; do
      case $fl_l in ID=*|VERSION_ID=*|VERSION_CODENAME=*|ID_LIKE=*) fl_f="$fl_f$fl_l
";; esac
    done <"$fl_r"
  fi
  while read -r fl_k fl_v fl_u; do if [ "$fl_k" = MemTotal: ]; then fl_f="\${fl_f}mem=$fl_v
"; break; fi; done </proc/meminfo
  read -r fl_n 2>/dev/null </proc/sys/kernel/hostname || fl_n=$(uname -n 2>/dev/null)
  read -r fl_r 2>/dev/null </proc/sys/kernel/osrelease || fl_r=$(uname -r 2>/dev/null)
  read -r fl_m 2>/dev/null </proc/sys/kernel/arch || fl_m=$(uname -m 2>/dev/null)
  fl_c=0
  while IFS=': \t' read -r fl_k fl_v; do
    [ "$fl_k" = Cpus_allowed_list ] || continue
    fl_i=$IFS; IFS=,
    for fl_x in $fl_v; do case $fl_x in *-*) fl_c=$((fl_c + \${fl_x#*-} - \${fl_x%-*} + 1));; ?*) fl_c=$((fl_c + 1));; esac; done
    IFS=$fl_i; break
  done 2>/dev/null </proc/self/status
  [ "$fl_c" -gt 0 ] || fl_c=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null)
  if [ -n "\${1:-}" ] && [ "$fl_m" = "$1" ]; then fl_d=\${2:-}; else fl_d=$(dpkg --print-architecture 2>/dev/null); fi
  fl_f="\${fl_f}uname=$fl_n $fl_r $fl_m
cpus=$fl_c
dpkg=$fl_d
route=$(ip -4 route get 1.1.1.1 2>/dev/null || hostname -I 2>/dev/null)
"
  printf '\\n${FACTS_MARK} %s\\n%s' "\${#fl_f}" "$fl_f"
}`;

/** A command of its own that prints the facts record (a node's first connection). */
export const GATHER_FACTS = `export LC_ALL=C PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
${FACTS_FUNCTION}
fl_facts`;

/** os-release's value syntax: optionally quoted, with backslash escapes inside double quotes. */
function osValue(raw: string): string {
  const v = raw.trim();
  if (v.length >= 2 && v.startsWith("'") && v.endsWith("'")) return v.slice(1, -1);
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) return v.slice(1, -1).replace(/\\(.)/g, '$1');
  return v;
}

/** The facts in a facts record's body (key=value lines). */
export function parseFacts(body: string): NodeFacts {
  const fields = new Map<string, string>();
  for (const line of body.split('\n')) {
    const m = /^([A-Za-z_]+)=(.*)$/.exec(line);
    if (m && !fields.has(m[1]!)) fields.set(m[1]!, m[2]!);
  }
  const get = (key: string) => fields.get(key) ?? '';
  const [hostname = '', kernel = '', architecture = ''] = get('uname').trim().split(/\s+/);
  const route = get('route').trim();
  const src = /\bsrc\s+(\S+)/.exec(route)?.[1];
  const address = src ?? (/^[0-9.]+$/.test(route.split(/\s+/)[0] ?? '') ? route.split(/\s+/)[0]! : '');
  const int = (text: string) => (/^\d+$/.test(text.trim()) ? Number(text.trim()) : 0);
  return {
    os: {
      family: osValue(get('ID')),
      version: osValue(get('VERSION_ID')),
      codename: osValue(get('VERSION_CODENAME')),
      like: osValue(get('ID_LIKE')).split(/\s+/).filter(Boolean),
    },
    architecture,
    packageArchitecture: get('dpkg').trim(),
    cpus: int(get('cpus')),
    memoryMiB: Math.floor(int(get('mem')) / 1024),
    hostname,
    address,
    kernel,
  };
}

/** The facts record's body in a command's output (the last one), if any. */
export function factsBody(output: Buffer): string | undefined {
  const mark = Buffer.from(`\n${FACTS_MARK} `);
  const at = output.lastIndexOf(mark);
  if (at < 0) return undefined;
  const headerEnd = output.indexOf(0x0a, at + mark.length);
  if (headerEnd < 0) return undefined;
  const length = Number(output.subarray(at + mark.length, headerEnd).toString());
  if (!Number.isInteger(length) || length < 0) return undefined;
  return output.subarray(headerEnd + 1, headerEnd + 1 + length).toString();
}

// Tags hold 255 characters on CloudStack: the facts are kept as a positional array, version first.
const VERSION = 1;
const MAX_TAG = 255;

/** The facts as a tag value: compact JSON, at most 255 characters (long names are cut to fit). */
export function encodeFacts(f: NodeFacts): string {
  const cut = (s: string, n: number) => s.slice(0, n);
  const row = (kernel: string, like: string, name: number) =>
    JSON.stringify([VERSION, cut(f.os.family, 32), cut(f.os.version, 32), cut(f.os.codename, 32), like, cut(f.architecture, 16), cut(f.packageArchitecture, 16), f.cpus, f.memoryMiB, cut(f.hostname, name), cut(f.address, 45), kernel]);
  const full = row(cut(f.kernel, 64), cut(f.os.like.join(' '), 64), 64);
  if (full.length <= MAX_TAG) return full;
  for (let name = 64; ; name -= 8) {
    const short = row('', '', Math.max(0, name));
    if (short.length <= MAX_TAG || name <= 0) return short;
  }
}

/** Facts from a tag value; undefined when it is missing or not facts of this version (gathered again). */
export function decodeFacts(text: string | undefined): NodeFacts | undefined {
  if (!text) return undefined;
  let row: unknown;
  try {
    row = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(row) || row.length !== 12 || row[0] !== VERSION) return undefined;
  const [, family, version, codename, like, architecture, packageArchitecture, cpus, memoryMiB, hostname, address, kernel] = row as unknown[];
  const strings = [family, version, codename, like, architecture, packageArchitecture, hostname, address, kernel];
  if (!strings.every((s) => typeof s === 'string') || typeof cpus !== 'number' || typeof memoryMiB !== 'number') return undefined;
  return {
    os: { family: family as string, version: version as string, codename: codename as string, like: (like as string).split(' ').filter(Boolean) },
    architecture: architecture as string,
    packageArchitecture: packageArchitecture as string,
    cpus,
    memoryMiB,
    hostname: hostname as string,
    address: address as string,
    kernel: kernel as string,
  };
}
