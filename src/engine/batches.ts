// Rolling runs, as Ansible's serial and max_fail_percentage: the nodes of a run are split
// into batches, each group on its own (batch i holds the i-th slice of every group), and a
// batch runs all its phases before the next one starts. Pure, so it is tested without nodes.
import { UsageError } from '../errors.ts';

/** A number of nodes (`2`) or a share of them (`'25%'`). */
export type Amount = number | `${number}%`;

/**
 * Batch sizes: one amount, or a list (Ansible's `serial: [1, '25%']`: the first batch of
 * each group holds 1 node, every later one 25%; the last size repeats).
 */
export type Serial = Amount | readonly Amount[];

const AMOUNT = /^(\d+(?:\.\d+)?)%$/;

/** `2`, `'2'`, `'25%'` → the amount; anything else is a UsageError naming the option. */
export function parseAmount(value: unknown, option: string, { zero = false } = {}): Amount {
  if (typeof value === 'number' || (typeof value === 'string' && /^\d+$/.test(value))) {
    const n = Number(value);
    if (Number.isInteger(n) && (zero ? n >= 0 : n > 0)) return n;
  } else if (typeof value === 'string') {
    const m = AMOUNT.exec(value);
    if (m && Number(m[1]) <= 100 && (zero || Number(m[1]) > 0)) return value as Amount;
  }
  throw new UsageError(`${option}: ${JSON.stringify(value)} is not ${zero ? 'a whole number of nodes (0 or more)' : 'a whole number of nodes (1 or more)'} or a percentage (e.g. 25%)`);
}

export function parseSerial(value: unknown): Amount[] {
  const list = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',').map((s) => s.trim()) : [value];
  if (list.length === 0) throw new UsageError('serial: names no batch size');
  return list.map((v) => parseAmount(v, 'serial'));
}

/** An amount of `total` nodes: a share rounds up (Ansible rounds serial down, but never to 0; up keeps 1% of 3 nodes = 1). */
export function amountOf(amount: Amount, total: number): number {
  if (typeof amount === 'number') return amount;
  return Math.ceil((Number(amount.slice(0, -1)) / 100) * total - 1e-9);
}

/**
 * Split `nodes` into batches: each group's nodes (in the order given) are cut into slices
 * of the serial sizes (a share counts that group's nodes), and batch i is the i-th slice
 * of every group. No serial: one batch of everything.
 */
export function batches<T>(nodes: readonly T[], groupOf: (node: T) => string, serial: readonly Amount[] | undefined): T[][] {
  if (!serial?.length || nodes.length === 0) return nodes.length ? [[...nodes]] : [];
  const byGroup = new Map<string, T[]>();
  for (const n of nodes) (byGroup.get(groupOf(n)) ?? byGroup.set(groupOf(n), []).get(groupOf(n))!).push(n);
  const out: T[][] = [];
  for (const members of byGroup.values()) {
    let at = 0;
    for (let i = 0; at < members.length; i++) {
      const size = Math.max(1, amountOf(serial[Math.min(i, serial.length - 1)]!, members.length));
      (out[i] ??= []).push(...members.slice(at, at + size));
      at += size;
    }
  }
  return out;
}

/**
 * Whether a run stops before its next batch. With `maxFail`, once more nodes failed than it
 * allows (a share counts every node the run works on; 0: the first failure stops it), as
 * Ansible's max_fail_percentage; without it, once every node of a batch failed (Ansible's
 * rule for serial plays).
 */
export function tooManyFailed(maxFail: Amount | undefined, failed: number, total: number, batchFailed: number, batchSize: number): boolean {
  if (maxFail === undefined) return batchSize > 0 && batchFailed === batchSize;
  const allowed = typeof maxFail === 'number' ? maxFail : (Number(maxFail.slice(0, -1)) / 100) * total;
  return failed > allowed;
}
