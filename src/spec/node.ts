// Node specs: what a node is made of (image, hardware, network, user data).
import { z } from 'zod';
import { parseSpec } from '../validate.ts';

const cloudConfig = z.record(z.string(), z.unknown());

export const nodeSpecSchema = z
  .object({
    image: z
      .object({
        /** e.g. "debian" */
        osFamily: z.string().min(1).optional(),
        /** A regular expression the OS version must match, e.g. "12" or "^12". */
        osVersionMatches: z.string().min(1).refine(isRegExp, 'not a valid regular expression').optional(),
        /** A provider-specific image or template id; wins over the fields above. */
        imageId: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
    hardware: z
      .object({
        minCores: z.number().int().positive().optional(),
        /** MiB */
        minRam: z.number().int().positive().optional(),
        /** GiB */
        minDisk: z.number().int().positive().optional(),
      })
      .strict()
      .optional(),
    network: z
      .object({
        /** TCP ports reachable from outside the node; every other port is closed. */
        inboundPorts: z.array(z.number().int().min(1).max(65535)).optional(),
      })
      .strict()
      .optional(),
    /** cloud-init user data: a cloud-config object, or a raw string ("#cloud-config ..." or a "#!" script). */
    userData: z.union([z.string(), cloudConfig]).optional(),
  })
  .strict();

function isRegExp(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}

/** A node spec. Every part is optional so that specs merge without defaults clobbering them. */
export type NodeSpec = z.output<typeof nodeSpecSchema>;

/** TCP ports open to the outside when a spec names none. */
export const DEFAULT_INBOUND_PORTS: readonly number[] = [22];

export function inboundPorts(spec: NodeSpec): number[] {
  return [...new Set(spec.network?.inboundPorts ?? DEFAULT_INBOUND_PORTS)].sort((a, b) => a - b);
}

/** Build a node spec; validates it once, here. */
export function nodeSpec(input: NodeSpec, where = 'nodeSpec'): NodeSpec {
  return parseSpec(nodeSpecSchema, input, where);
}

/** Deep merge of node specs (Pallet merges node-specs deeply): later wins, objects merge, arrays are replaced. */
export function mergeNodeSpecs(...specs: Array<NodeSpec | undefined>): NodeSpec {
  let merged: Record<string, unknown> = {};
  for (const spec of specs) if (spec) merged = deepMerge(merged, spec as Record<string, unknown>);
  return merged as NodeSpec;
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [key, value] of Object.entries(b)) {
    if (value === undefined) continue;
    const prev = out[key];
    out[key] = isPlainObject(prev) && isPlainObject(value) ? deepMerge(prev, value) : value;
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
