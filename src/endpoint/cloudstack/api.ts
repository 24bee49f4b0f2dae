// What every endpoint command shares: the context, API errors, paging and tag filters.
import type { Params } from '../../providers/cloudstack/index.ts';
import { ApiError } from './errors.ts';
import type { NodeBackend } from './backend.ts';
import type { FaultState } from './faults.ts';
import type { Jobs } from './jobs.ts';
import type { Store, TagRecord } from './store.ts';

export { ApiError };

export interface Ctx {
  store: Store;
  backend: NodeBackend;
  jobs: Jobs;
  faults: FaultState;
  log: (message: string) => void;
}

/** A command's answer: the object that goes inside `<command>response`. */
export type Handler = (p: Params, ctx: Ctx) => unknown | Promise<unknown>;

export function required(p: Params, name: string): string {
  const value = p[name];
  if (value === undefined || value === '') throw new ApiError(431, `Unable to execute API command due to missing parameter ${name}`);
  return value;
}

/** A list answer with paging; an empty list is `{}`. */
export function listResponse<T>(key: string, items: T[], p: Params): Record<string, unknown> {
  let page = items;
  if (p.page !== undefined) {
    const size = Number(p.pagesize ?? 500);
    const n = Number(p.page);
    if (!Number.isInteger(n) || n < 1 || !Number.isInteger(size) || size < 1 || size > 500) {
      throw new ApiError(431, 'page must be >= 1 and pagesize between 1 and 500');
    }
    page = items.slice((n - 1) * size, n * size);
  }
  return page.length ? { count: items.length, [key]: page } : {};
}

/** `tags[n].key` / `tags[n].value` filters from the request. */
export function tagFilters(p: Params): Array<{ key: string; value?: string }> {
  const byIndex = new Map<string, { key?: string; value?: string }>();
  for (const [name, value] of Object.entries(p)) {
    const m = /^tags\[(\d+)\]\.(key|value)$/.exec(name);
    if (!m) continue;
    const entry = byIndex.get(m[1]!) ?? {};
    entry[m[2] as 'key' | 'value'] = value;
    byIndex.set(m[1]!, entry);
  }
  return [...byIndex.values()].filter((t): t is { key: string; value?: string } => !!t.key);
}

export function tagsOf(tags: TagRecord[], resourceid: string): TagRecord[] {
  return tags.filter((t) => t.resourceid === resourceid);
}

export function matchesTags(tags: TagRecord[], resourceid: string, filters: Array<{ key: string; value?: string }>): boolean {
  const own = tagsOf(tags, resourceid);
  return filters.every((f) => own.some((t) => t.key === f.key && (f.value === undefined || t.value === f.value)));
}

/** Case-insensitive id list ("a,b,c"). */
export function idList(value: string | undefined): string[] {
  return (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}
