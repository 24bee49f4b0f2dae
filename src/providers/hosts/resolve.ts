// The hosts provider's options as the stack is loaded: the inventory file read and checked
// (one line naming the file, its line and the field), its hosts joined to those listed in
// code, every name once. The result lists hosts only, so checking it again changes nothing.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../errors.ts';
import { check, describeIssues } from '../../validate.ts';
import { hostEntry } from './connection.ts';
import { InventoryMistake, parseInventory } from './inventory.ts';
import { hostEntrySchema, type HostEntry, type HostsProviderOptions } from './options.ts';

export interface ResolveContext {
  /** The stack file's folder (a relative inventory path is found from it), or the current folder for a stack from code. */
  dir: string;
  /** The stack file, for messages. */
  where: string;
  /** The groups the stack defines. */
  groups: readonly string[];
}

export function resolveOptions(options: HostsProviderOptions, context: ResolveContext): HostsProviderOptions {
  const { inventory, ...rest } = options;
  const listed = rest.hosts ?? [];
  const fromFile = inventory === undefined ? [] : readInventory(inventory, context);
  const hosts = [...listed, ...fromFile];
  if (!hosts.length) throw new ConfigError(context.where, `provider.inventory: ${String(inventory)} lists no hosts`);
  const names = new Map<string, string>();
  const machines = new Map<string, string>();
  hosts.forEach((h, i) => {
    const name = h.name ?? h.host;
    const where = i < listed.length ? `provider.hosts.${i}` : `the inventory (host ${name})`;
    const before = names.get(name);
    if (before) throw new ConfigError(context.where, `host ${name} is listed twice: in ${before} and ${where}; node names are unique`);
    names.set(name, where);
    const machine = `${h.host}:${h.port ?? 22}${h.jump ? ` via ${h.jump}` : ''}`;
    const same = machines.get(machine);
    if (same) throw new ConfigError(context.where, `hosts ${same} and ${name} are both ${machine}; list each machine once`);
    machines.set(machine, name);
  });
  return { ...rest, hosts };
}

function readInventory(inventory: string | URL, context: ResolveContext): HostEntry[] {
  const path = inventory instanceof URL ? fileURLToPath(inventory) : isAbsolute(inventory) ? inventory : resolve(context.dir, inventory);
  const shown = typeof inventory === 'string' ? inventory : path;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(context.where, `provider.inventory: cannot read ${path} (${code === 'ENOENT' ? 'no such file' : (code ?? (error as Error).message)})`);
  }
  let parsed: ReturnType<typeof parseInventory> | undefined;
  try {
    parsed = parseInventory(text);
    return parsed.hosts.map((host) => {
      const entry = hostEntry(host, { dir: dirname(path), groups: context.groups });
      const valid = check(hostEntrySchema, entry);
      if (!valid.success) throw new InventoryMistake(host.at, describeIssues(valid.error.issues));
      return valid.data;
    });
  } catch (error) {
    if (!(error instanceof InventoryMistake)) throw error;
    const line = error.line ?? (error.at.length ? parsed?.lineOf(error.at) : undefined);
    const at = error.at.length ? `${error.at.join('.')}: ` : '';
    throw new ConfigError(shown, `${line ? `line ${line}: ` : ''}${at}${error.message}`);
  }
}
