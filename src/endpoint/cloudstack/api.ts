// What every endpoint command shares: the context, API errors, parameters and paging.
import type { Params } from '../../providers/cloudstack/index.ts';
import { ApiError } from './errors.ts';
import type { NodeBackend } from './backend.ts';
import type { FaultState } from './faults.ts';
import type { Jobs } from './jobs.ts';
import type { Store } from './store.ts';

export { ApiError };
export { idList, matchesTags, tagFilters, tagsOf } from './filters.ts';

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

/** A boolean parameter, read as CloudStack reads it (Java's Boolean.parseBoolean: "true" in any case is true). */
export function bool(p: Params, name: string): boolean | undefined {
  const value = p[name];
  return value === undefined || value === '' ? undefined : value.toLowerCase() === 'true';
}

/** The most a page holds (CloudStack's default.page.size), and what a list without paging answers. */
export const MAX_PAGE_SIZE = 500;

/**
 * A list answer, paged as CloudStack pages: `pagesize` 1-500 (default 500) or -1 for all,
 * `page` from 1 (default 1; not with pagesize -1); `count` is the whole list's length.
 * An empty page is `{}`.
 */
export function listResponse<T>(key: string, items: T[], p: Params): Record<string, unknown> {
  const size = p.pagesize === undefined || p.pagesize === '' ? MAX_PAGE_SIZE : integer(p.pagesize, 'pagesize');
  const page = p.page === undefined || p.page === '' ? undefined : integer(p.page, 'page');
  if (size === -1 && page !== undefined) throw new ApiError(431, "Can't specify page parameter when pagesize is -1 (Unlimited)");
  if (size !== -1 && (size < 1 || size > MAX_PAGE_SIZE)) throw new ApiError(431, `Page size can't exceed max allowed page size value: ${MAX_PAGE_SIZE} (pagesize is 1-${MAX_PAGE_SIZE}, or -1 for all)`);
  if (page !== undefined && page < 1) throw new ApiError(431, 'page must be 1 or more');
  const start = ((page ?? 1) - 1) * size;
  const shown = size === -1 ? items : items.slice(start, start + size);
  return shown.length ? { count: items.length, [key]: shown } : {};
}

function integer(value: string, name: string): number {
  if (!/^-?\d{1,9}$/.test(value.trim())) throw new ApiError(431, `Unable to execute API command due to invalid value ${value} for parameter ${name}`);
  return Number(value);
}
