// Pallet's settings phase: before any phase is planned, every node's settings are evaluated
// (its group spec's settings in order, then the node's own variables over them, then each
// typed settings' schema, whose defaults fill in), so plans read their own as ctx.settings
// and other nodes' on their refs. Generated secrets live in the stack's own state: the
// `forklift-secret-<name>` tags of the node that publishes them, made once (crypto random)
// and written before any phase can use them; a dry run makes them but writes none.
import { randomBytes } from 'node:crypto';
import { ForkliftError, SpecError } from '../errors.ts';
import type { Tags } from '../providers/types.ts';
import { secret, type Secret } from '../shell/sh.ts';
import type { NodeRef } from '../spec/plan.ts';
import { checkSettings, isTypedSettings, mergeSettings, type GeneratedSecretOptions, type SettingsContext, type SettingsItem } from '../spec/settings.ts';
import { mapLimit } from './limit.ts';
import type { Operation, StackNode } from './operation.ts';

/** Tag key prefix of generated secrets. */
export const SECRET_TAG = 'forklift-secret-';

const secretName = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** Evaluate every node's settings into its ref; `record`: write new generated secrets to the nodes' tags. */
export async function evaluateSettings(op: Operation, nodes: readonly StackNode[], record: boolean): Promise<void> {
  if (!nodes.some((n) => n.group.settings?.length || n.info.vars)) {
    for (const n of nodes) n.ref = { ...n.ref, settings: {} };
    return;
  }
  const secrets = new Secrets(nodes);
  const refs = nodes.map((n) => n.ref);
  const byRole = new Map<string, NodeRef[]>();
  const byGroup = new Map<string, NodeRef[]>();
  for (const r of refs) {
    for (const role of r.roles) (byRole.get(role) ?? byRole.set(role, []).get(role)!).push(r);
    (byGroup.get(r.group) ?? byGroup.set(r.group, []).get(r.group)!).push(r);
  }
  const evaluated = await mapLimit(nodes, op.concurrency, async (node) => {
    const ctx: SettingsContext = {
      stack: op.stack.stack,
      node: node.ref,
      nodes: refs,
      nodesWithRole: (role) => [...(byRole.get(role) ?? [])],
      nodesInGroup: (group) => [...(byGroup.get(group) ?? [])],
      generatedSecret: (name, options) => secrets.get(node, name, options),
    };
    return settingsOf(node, ctx);
  });
  nodes.forEach((n, i) => (n.ref = { ...n.ref, settings: evaluated[i]! }));
  if (record) await secrets.write(op);
}

async function settingsOf(node: StackNode, ctx: SettingsContext): Promise<Record<string, unknown>> {
  const items: readonly SettingsItem[] = node.group.settings ?? [];
  let settings: Record<string, unknown> = {};
  for (const item of items) {
    const source = isTypedSettings(item) ? item.values : item;
    let values: unknown;
    try {
      values = typeof source === 'function' ? await source(ctx) : source;
    } catch (error) {
      if (error instanceof ForkliftError) throw error;
      throw new SpecError(`settings of node ${node.info.name}`, error instanceof Error ? error.message : String(error));
    }
    if (typeof values !== 'object' || values === null || Array.isArray(values)) {
      throw new SpecError(`settings of node ${node.info.name}`, 'a settings function must return an object');
    }
    settings = mergeSettings(settings, values as Record<string, unknown>);
  }
  // The node's own variables (an inventory's host and group vars) win over its group's settings.
  if (node.info.vars) settings = mergeSettings(settings, node.info.vars);
  for (const item of items) if (isTypedSettings(item)) settings = mergeSettings(settings, checkSettings(item.schema, settings, node.info.name));
  return settings;
}

class Secrets {
  /** Tags to write, by node id. */
  private readonly pending = new Map<string, Tags>();
  /** Values made in this operation for group-wide secrets. */
  private readonly made = new Map<string, string>();

  constructor(private readonly nodes: readonly StackNode[]) {}

  get(node: StackNode, name: string, options: GeneratedSecretOptions = {}): Secret {
    if (!secretName.test(name)) throw new SpecError(`settings of node ${node.info.name}`, `generatedSecret: "${name}" is not a secret name (letters, digits, _ . -; at most 64)`);
    const bytes = options.bytes ?? 24;
    if (!Number.isInteger(bytes) || bytes < 16 || bytes > 128) throw new SpecError(`settings of node ${node.info.name}`, `generatedSecret ${name}: bytes must be a whole number from 16 to 128`);
    const key = SECRET_TAG + name;
    if ((options.scope ?? 'node') === 'node') {
      const value = node.info.tags[key] ?? this.pending.get(node.info.id)?.[key] ?? this.add(node, key, randomBytes(bytes).toString('base64url'));
      return secret(value);
    }
    // One value for the group: the one a node of it has, else one made now, kept on each of them.
    const group = this.nodes.filter((n) => n.info.group === node.info.group);
    const madeKey = `${node.info.group}\0${name}`;
    const value = group.map((n) => n.info.tags[key]).find((v) => v !== undefined) ?? this.made.get(madeKey) ?? randomBytes(bytes).toString('base64url');
    this.made.set(madeKey, value);
    for (const n of group) if (n.info.tags[key] === undefined) this.add(n, key, value);
    return secret(value);
  }

  private add(node: StackNode, key: string, value: string): string {
    const tags = this.pending.get(node.info.id) ?? {};
    tags[key] = value;
    this.pending.set(node.info.id, tags);
    return value;
  }

  async write(op: Operation): Promise<void> {
    const byId = new Map(this.nodes.map((n) => [n.info.id, n]));
    await mapLimit([...this.pending], op.concurrency, async ([id, tags]) => {
      const node = byId.get(id)!;
      await op.tagNode(node.info, tags);
      Object.assign(node.info.tags, tags);
    });
  }
}
