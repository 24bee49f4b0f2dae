// Resource tags: createTags / deleteTags (async) and listTags.
import { ApiError, idList, listResponse, required, tagFilters, type Ctx, type Handler } from '../api.ts';
import { rootVolumeId, tagView } from '../views.ts';

/** Taggable resource types, by lower-case name: their API name and whether an id is one of them. */
const TYPES: Record<string, [string, (ctx: Ctx, id: string) => boolean]> = {
  uservm: ['UserVm', (ctx, id) => ctx.store.data.vms.some((vm) => vm.id === id)],
  securitygroup: ['SecurityGroup', (ctx, id) => ctx.store.data.securityGroups.some((g) => g.id === id)],
  volume: ['Volume', (ctx, id) => ctx.store.data.vms.some((vm) => rootVolumeId(vm) === id)],
};

function resourceType(value: string): string {
  const type = TYPES[value.toLowerCase()];
  if (!type) throw new ApiError(431, `Resource type ${value} is not supported for tags (${Object.values(TYPES).map(([n]) => n).join(', ')})`);
  return type[0];
}

export const tagCommands: Record<string, Handler> = {
  createTags: (p, ctx) => {
    const type = resourceType(required(p, 'resourcetype'));
    const ids = idList(required(p, 'resourceids'));
    const tags = tagFilters(p);
    if (!tags.length) throw new ApiError(431, 'Unable to execute API command due to missing parameter tags');
    for (const id of ids) if (!TYPES[type.toLowerCase()]![1](ctx, id)) throw new ApiError(431, `Unable to find resource by id ${id} and type ${type}`);
    const jobid = ctx.jobs.start('createTags', undefined, async () => {
      for (const id of ids) {
        for (const t of tags) {
          if (ctx.store.data.tags.some((x) => x.resourceid === id && x.key === t.key)) {
            throw new ApiError(431, `A tag with key ${t.key} already exists on resource ${id}`);
          }
        }
      }
      ctx.store.update((d) => {
        for (const id of ids) for (const t of tags) d.tags.push({ resourceid: id, resourcetype: type, key: t.key, value: t.value ?? '' });
      });
      return { success: true };
    });
    return { jobid };
  },
  deleteTags: (p, ctx) => {
    const type = resourceType(required(p, 'resourcetype'));
    const ids = idList(required(p, 'resourceids'));
    const filters = tagFilters(p);
    const jobid = ctx.jobs.start('deleteTags', undefined, async () => {
      ctx.store.update((d) => {
        d.tags = d.tags.filter(
          (t) =>
            !(
              t.resourcetype === type &&
              ids.includes(t.resourceid) &&
              (!filters.length || filters.some((f) => f.key === t.key && (f.value === undefined || f.value === t.value)))
            ),
        );
      });
      return { success: true };
    });
    return { jobid };
  },
  listTags: (p, ctx) => {
    const items = ctx.store.data.tags
      .filter(
        (t) =>
          (!p.resourceid || t.resourceid === p.resourceid) &&
          (!p.resourcetype || t.resourcetype.toLowerCase() === p.resourcetype.toLowerCase()) &&
          (!p.key || t.key === p.key) &&
          (!p.value || t.value === p.value),
      )
      .map(tagView);
    return listResponse('tag', items, p);
  },
};
