// The filters list commands share, as CloudStack applies them: `id`, `ids`, `name` (exact;
// a substring for VMs, where CloudStack matches it with LIKE), `keyword` (a substring of the
// name or display text, any case), and tags (`tags[n].key` / `tags[n].value`).
import type { Params } from '../../providers/cloudstack/index.ts';
import type { TagRecord } from './store.ts';

export interface Filterable {
  id: string;
  name: string;
  /** What `keyword` looks into besides the name (display name or text). */
  text?: readonly (string | undefined)[];
  /** What `keyword` may equal (any case) instead: a VM's state. */
  exact?: readonly string[];
}

export interface FilterOptions {
  /** `name` is a substring match (listVirtualMachines). */
  nameLike?: boolean;
  /** The resource's tags, for `tags[n]` filters. */
  tags?: TagRecord[];
}

/** Whether `item` passes the request's id, ids, name, keyword and tag filters. */
export function matches(p: Params, item: Filterable, opts: FilterOptions = {}): boolean {
  if (p.id && item.id !== p.id) return false;
  const ids = idList(p.ids);
  if (ids.length && !ids.includes(item.id)) return false;
  if (p.name && !(opts.nameLike ? item.name.toLowerCase().includes(p.name.toLowerCase()) : item.name === p.name)) return false;
  if (p.keyword) {
    const k = p.keyword.toLowerCase();
    const found = [item.name, ...(item.text ?? [])].some((t) => t?.toLowerCase().includes(k)) || (item.exact ?? []).some((t) => t.toLowerCase() === k);
    if (!found) return false;
  }
  return !opts.tags || matchesTags(opts.tags, item.id, tagFilters(p));
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

/** An id list ("a,b,c"). */
export function idList(value: string | undefined): string[] {
  return (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}
