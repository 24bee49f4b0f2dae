// What the provider knows about a node lives in the container's own directory:
// LXC's `config` (address) and forklift-tags.json (stack, group, name, ports, ...).
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Tags } from '../types.ts';
import { isStackContainer } from './naming.ts';
import { TAGS_FILE } from './paths.ts';

/** Tag holding a node's inbound TCP ports, e.g. "22,80,443". */
export const PORTS_TAG = 'forklift-ports';

export function containerDir(lxcPath: string, container: string): string {
  return join(lxcPath, container);
}

export function readTags(lxcPath: string, container: string): Tags | undefined {
  const file = join(containerDir(lxcPath, container), TAGS_FILE);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Tags;
  } catch {
    return undefined;
  }
}

/** Write tags atomically: a reader sees the old file or the new one, never half. Root's alone: tags hold generated secrets. */
export function writeTags(lxcPath: string, container: string, tags: Tags): void {
  const file = join(containerDir(lxcPath, container), TAGS_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(tags, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, file);
}

/** Containers made by forklift (those carrying a tags file). */
export function taggedContainers(lxcPath: string): string[] {
  if (!existsSync(lxcPath)) return [];
  return readdirSync(lxcPath).filter((name) => existsSync(join(lxcPath, name, TAGS_FILE)));
}

/** Directories named as the stack's containers that carry no tags: left by a create killed before its first write. */
export function untaggedContainers(lxcPath: string, stack: string): string[] {
  if (!existsSync(lxcPath)) return [];
  return readdirSync(lxcPath, { withFileTypes: true })
    .filter((e) => e.isDirectory() && isStackContainer(stack, e.name) && !existsSync(join(lxcPath, e.name, TAGS_FILE)))
    .map((e) => e.name);
}

/** Every container directory under lxcPath, tagged or not. */
export function allContainers(lxcPath: string): string[] {
  if (!existsSync(lxcPath)) return [];
  return readdirSync(lxcPath).filter((name) => existsSync(join(lxcPath, name, 'config')));
}

/** The static IPv4 address in a container's LXC config. */
export function readAddress(lxcPath: string, container: string): string | undefined {
  try {
    const config = readFileSync(join(containerDir(lxcPath, container), 'config'), 'utf8');
    return /^lxc\.net\.0\.ipv4\.address\s*=\s*([\d.]+)/m.exec(config)?.[1];
  } catch {
    return undefined;
  }
}

export function parsePorts(value: string | undefined): number[] {
  return (value ?? '')
    .split(',')
    .map((p) => Number(p.trim()))
    .filter((p) => Number.isInteger(p) && p > 0 && p < 65536);
}
