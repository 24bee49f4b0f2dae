// Zones, templates, service and disk offerings, and async job results.
import { ApiError, listResponse, required, type Handler } from '../api.ts';
import { DISK_OFFERINGS, SERVICE_OFFERINGS, TEMPLATES, ZONE } from '../catalog.ts';

const byId = <T extends { id: string; name: string }>(items: T[], p: Record<string, string>) =>
  items.filter((i) => (!p.id || i.id === p.id) && (!p.name || i.name === p.name));

export const catalogCommands: Record<string, Handler> = {
  listZones: (p) => listResponse('zone', byId([ZONE], p), p),
  listTemplates: (p) => {
    const filter = required(p, 'templatefilter');
    if (!['featured', 'self', 'selfexecutable', 'sharedexecutable', 'executable', 'community', 'all'].includes(filter)) {
      throw new ApiError(431, `templatefilter ${filter} is not valid`);
    }
    const items = byId(TEMPLATES, p).filter((t) => !p.zoneid || t.zoneid === p.zoneid);
    return listResponse('template', filter === 'self' ? [] : items, p);
  },
  listServiceOfferings: (p) => listResponse('serviceoffering', byId(SERVICE_OFFERINGS, p), p),
  listDiskOfferings: (p) => listResponse('diskoffering', byId(DISK_OFFERINGS, p), p),
  queryAsyncJobResult: (p, ctx) => {
    const jobid = required(p, 'jobid');
    const job = ctx.jobs.get(jobid);
    if (!job) throw new ApiError(431, `Unable to find job by id ${jobid}`);
    return { ...job, jobresulttype: 'object', jobprocstatus: 0, userid: 'forklift', accountid: 'forklift' };
  },
};
