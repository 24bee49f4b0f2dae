// Ansible's YAML inventory, read as Ansible reads it: top-level groups (normally `all:`),
// each a mapping of `hosts:` (host name → its variables), `children:` (groups inside it) and
// `vars:`. A group is one group wherever it is named; YAML 1.1, as Ansible's PyYAML (yes/no
// are booleans); host ranges `web[01:20]`, `db-[a:c]`. A host's variables merge as
// Ansible merges them: every group it is in (directly, or as a child's child) from the
// shallowest to the deepest (`all` first; siblings by name), then its own, the last
// written winning. Each variable remembers where it was set, so a bad one is named by its
// line. What becomes of the variables is connection.ts's business.
import { isMap, isScalar, LineCounter, parseDocument, type Document } from 'yaml';

/** A key path in the inventory file: ["all", "children", "web", "hosts", "app-1", "ansible_port"]. */
export type YamlPath = readonly string[];

export interface Setting {
  value: unknown;
  at: YamlPath;
  /** How specific the place it was set is: 0 for `all`, deeper groups higher, the host itself highest. */
  level: number;
}

export interface InventoryHost {
  name: string;
  /** Where the host is first listed. */
  at: YamlPath;
  /** The groups that list it under `hosts:` (not `all`, not `ungrouped`). */
  groups: string[];
  /** Its variables in the order they apply (later wins), each with where it was set. */
  settings: Array<[string, Setting]>;
}

/** A mistake in the inventory: the message, and where. */
export class InventoryMistake extends Error {
  constructor(
    readonly at: YamlPath,
    message: string,
    /** The line (1-based) it is on, where known. */
    public line?: number,
  ) {
    super(message);
  }
}

interface Group {
  parents: Set<string>;
  vars: Array<[string, Omit<Setting, 'level'>]>;
}

const GROUP_KEYS = ['hosts', 'children', 'vars'];
const isPlain = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);

export interface ParsedInventory {
  hosts: InventoryHost[];
  /** The line (1-based) of a path, for messages. */
  lineOf(at: YamlPath): number | undefined;
}

/** Parse inventory text; throws InventoryMistake (with a path, or a line in its message). */
export function parseInventory(text: string): ParsedInventory {
  const firstLine = text.split('\n').find((l) => l.trim() && !/^\s*[#;]/.test(l)) ?? '';
  if (/^\s*\[[^\]]+\]\s*$/.test(firstLine)) throw new InventoryMistake([], INI);
  // JSON is YAML: a generated inventory (hundreds of hosts) is read by JSON.parse, some 20×
  // faster; YAML is parsed only for a message's line number.
  const json = /^\s*\{/.test(text) ? parseJson(text) : undefined;
  if (json !== undefined) {
    const lineOf = (at: YamlPath) => parseYaml(text).lineOf(at);
    try {
      return { hosts: readHosts(json), lineOf };
    } catch (error) {
      if (error instanceof InventoryMistake && error.line === undefined && error.at.length) error.line = lineOf(error.at);
      throw error;
    }
  }
  return parseYaml(text);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function parseYaml(text: string): ParsedInventory {
  const lines = new LineCounter();
  const doc = parseDocument(text, { version: '1.1', uniqueKeys: true, lineCounter: lines, prettyErrors: false });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    throw new InventoryMistake([], e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, ''), lines.linePos(e.pos[0]).line);
  }
  const lineOf = (at: YamlPath) => keyLine(doc, lines, at);
  try {
    return { hosts: readHosts(doc.toJS({ maxAliasCount: 1000 })), lineOf };
  } catch (error) {
    if (error instanceof InventoryMistake && error.line === undefined && error.at.length) error.line = lineOf(error.at);
    throw error;
  }
}

const INI = "not a YAML inventory (Ansible's YAML form, all: with children, hosts and vars; INI inventories are not read)";

function readHosts(root: unknown): InventoryHost[] {
  if (root === null || root === undefined) throw new InventoryMistake([], 'the inventory is empty; it needs all: with hosts or children');
  if (!isPlain(root)) throw new InventoryMistake([], INI);

  const groups = new Map<string, Group>();
  const hostVars = new Map<string, Array<[string, Omit<Setting, 'level'>]>>();
  const hostGroups = new Map<string, Set<string>>();
  const firstSeen = new Map<string, YamlPath>();
  const group = (name: string) => groups.get(name) ?? groups.set(name, { parents: new Set(), vars: [] }).get(name)!;
  const settings = (body: unknown, at: YamlPath, what: string): Array<[string, Omit<Setting, 'level'>]> => {
    if (body === null || body === undefined) return [];
    if (!isPlain(body)) throw new InventoryMistake(at, `${what} is a mapping of variables`);
    return Object.entries(body).map(([k, value]) => [k, { value, at: [...at, k] }]);
  };

  const walk = (name: string, body: unknown, at: YamlPath, parent: string | undefined) => {
    const g = group(name);
    if (parent) g.parents.add(parent);
    if (body === null || body === undefined) return;
    if (!isPlain(body)) throw new InventoryMistake(at, 'a group is a mapping of hosts, children and vars');
    for (const key of Object.keys(body)) {
      if (!GROUP_KEYS.includes(key)) throw new InventoryMistake([...at, key], 'unknown key; a group has hosts, children and vars');
    }
    g.vars.push(...settings(body['vars'], [...at, 'vars'], 'vars'));
    const hosts = body['hosts'] ?? {};
    if (!isPlain(hosts)) throw new InventoryMistake([...at, 'hosts'], 'hosts is a mapping of host names (to their variables)');
    for (const [pattern, vars] of Object.entries(hosts)) {
      const hostAt = [...at, 'hosts', pattern];
      for (const host of expandRange(pattern, hostAt)) {
        if (!firstSeen.has(host)) firstSeen.set(host, hostAt);
        (hostGroups.get(host) ?? hostGroups.set(host, new Set()).get(host)!).add(name);
        (hostVars.get(host) ?? hostVars.set(host, []).get(host)!).push(...settings(vars, hostAt, `host ${host}`));
      }
    }
    const children = body['children'] ?? {};
    if (!isPlain(children)) throw new InventoryMistake([...at, 'children'], 'children is a mapping of group names');
    for (const [child, childBody] of Object.entries(children)) {
      if (child === 'all') throw new InventoryMistake([...at, 'children', child], 'all is the top group; it cannot be a child');
      walk(child, childBody, [...at, 'children', child], name);
    }
  };
  for (const [name, body] of Object.entries(root)) walk(name, body, [name], name === 'all' ? undefined : 'all');

  const depth = depths(groups);
  return [...hostGroups].map(([name, direct]): InventoryHost => {
    const all = new Set<string>();
    const climb = (g: string) => {
      if (all.has(g)) return;
      all.add(g);
      for (const p of groups.get(g)?.parents ?? []) climb(p);
    };
    for (const g of direct) climb(g);
    climb('all');
    const order = [...all].sort((a, b) => depth(a) - depth(b) || a.localeCompare(b));
    const own = hostVars.get(name) ?? [];
    const settings: Array<[string, Setting]> = [
      ...order.flatMap((g) => (groups.get(g)?.vars ?? []).map(([k, s]): [string, Setting] => [k, { ...s, level: depth(g) }])),
      ...own.map(([k, s]): [string, Setting] => [k, { ...s, level: Number.MAX_SAFE_INTEGER }]),
    ];
    return { name, at: firstSeen.get(name)!, groups: [...direct].filter((g) => g !== 'all' && g !== 'ungrouped'), settings };
  });
}

/** A group's depth below `all` (the longest way down); a group inside itself is a mistake. */
function depths(groups: Map<string, Group>): (name: string) => number {
  const memo = new Map<string, number>();
  const visiting = new Set<string>();
  const depth = (name: string): number => {
    const known = memo.get(name);
    if (known !== undefined) return known;
    if (visiting.has(name)) throw new InventoryMistake([], `group ${name} is inside itself (its children form a loop)`);
    visiting.add(name);
    const parents = [...(groups.get(name)?.parents ?? [])];
    const d = name === 'all' ? 0 : Math.max(0, ...parents.map(depth)) + 1;
    visiting.delete(name);
    memo.set(name, d);
    return d;
  };
  for (const name of groups.keys()) depth(name);
  return depth;
}

/** Ansible's host ranges: `web[01:20]`, `web[1:9:2]`, `db-[a:c]`; several in one name multiply. */
export function expandRange(pattern: string, at: YamlPath): string[] {
  const m = /^(.*?)\[([^\]]*)\](.*)$/.exec(pattern);
  if (!m) return [pattern];
  const [, head, range, tail] = m as unknown as [string, string, string, string];
  const parts = range.split(':');
  if (parts.length < 2 || parts.length > 3) throw new InventoryMistake(at, `host range [${range}] is not [start:end] or [start:end:step]`);
  const [start, end, stepText = '1'] = parts as [string, string, string?];
  const step = Number(stepText);
  if (!Number.isInteger(step) || step < 1) throw new InventoryMistake(at, `host range [${range}]: the step is a whole number above 0`);
  let values: string[] = [];
  if (/^\d+$/.test(start) && /^\d+$/.test(end)) {
    const width = start.length > 1 && start.startsWith('0') ? start.length : 0;
    for (let i = Number(start); i <= Number(end); i += step) values.push(String(i).padStart(width, '0'));
  } else if (/^[a-z]$/i.test(start) && /^[a-z]$/i.test(end)) {
    for (let c = start.charCodeAt(0); c <= end.charCodeAt(0); c += step) values.push(String.fromCharCode(c));
  } else {
    throw new InventoryMistake(at, `host range [${range}] is not numbers or single letters`);
  }
  if (!values.length) throw new InventoryMistake(at, `host range [${range}] is empty (start after end)`);
  if (values.length > 100_000) values = values.slice(0, 100_000);
  return values.flatMap((v) => expandRange(`${head}${v}${tail}`, at));
}

/** The line of the key at `at` (or of the deepest key on the way to it). */
function keyLine(doc: Document, lines: LineCounter, at: YamlPath): number | undefined {
  let node: unknown = doc.contents;
  let line: number | undefined;
  for (const key of at) {
    if (!isMap(node)) break;
    const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === key);
    if (!pair) break;
    const range = isScalar(pair.key) ? pair.key.range : undefined;
    if (range) line = lines.linePos(range[0]).line;
    node = pair.value;
  }
  return line;
}
