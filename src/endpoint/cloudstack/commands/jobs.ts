// queryAsyncJobResult and listAsyncJobs: the endpoint's jobs, kept a day after they end.
// `cmd` is the API command's name (CloudStack shows its Java class there).
import { ApiError, listResponse, required, type Handler } from '../api.ts';
import { ACCOUNT, USER } from '../catalog.ts';
import { parseTime } from '../jobs.ts';
import type { JobRecord } from '../store.ts';

function jobView(job: JobRecord) {
  const { completed, ...rest } = job;
  return {
    ...rest,
    ...(completed ? { completed } : {}),
    jobresulttype: 'object',
    jobprocstatus: 0,
    userid: USER.id,
    accountid: ACCOUNT.id,
    account: ACCOUNT.name,
  };
}

export const jobCommands: Record<string, Handler> = {
  queryAsyncJobResult: (p, ctx) => {
    const jobid = required(p, 'jobid');
    const job = ctx.jobs.get(jobid);
    if (!job) throw new ApiError(431, `Unable to find job by id ${jobid}`);
    return jobView(job);
  },
  listAsyncJobs: (p, ctx) => {
    let since: number | undefined;
    if (p.startdate) {
      since = parseTime(p.startdate);
      if (Number.isNaN(since)) throw new ApiError(431, `startdate ${p.startdate} is not a date such as 2024-01-01T00:00:00+0000`);
    }
    const items = ctx.store.data.jobs.filter((j) => since === undefined || parseTime(j.created) >= since);
    return listResponse('asyncjobs', items.map(jobView), p);
  },
};
