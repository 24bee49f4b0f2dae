// Async jobs: a command starts work and answers {jobid} at once; queryAsyncJobResult reports it.
// Jobs on one VM run one after another, in the order they were asked for (as CloudStack queues
// a VM's work), so "stop, then start" does both. Pending jobs left by a stopped endpoint are
// marked failed at start-up (their work died with it); finished jobs are dropped after a day.
import { randomUUID } from 'node:crypto';
import { ApiError } from './errors.ts';
import type { JobRecord, Store } from './store.ts';

/** How long a finished job stays queryable (CloudStack's job.expire.minutes default: 1440). */
export const JOB_KEEP_MS = 24 * 3600_000;

export class Jobs {
  private readonly running = new Set<Promise<void>>();
  /** The last job queued per VM: the next one for it starts after this one ends. */
  private readonly queues = new Map<string, Promise<void>>();

  constructor(
    private readonly store: Store,
    /** Extra time every job stays pending (the "slow jobs" fault). */
    private readonly delayMs: number,
    private readonly log: (message: string) => void,
  ) {
    store.update((data) => {
      for (const job of data.jobs) if (job.jobstatus === 0) fail(job, 530, 'the endpoint restarted while the job ran');
    });
  }

  /** Start `work` as a job; with an instance, after every job already queued for it. */
  start(cmd: string, instance: { type: string; id: string } | undefined, work: () => Promise<unknown>): string {
    const job: JobRecord = {
      jobid: randomUUID(),
      cmd,
      jobstatus: 0,
      jobresultcode: 0,
      jobinstancetype: instance?.type,
      jobinstanceid: instance?.id,
      created: isoNow(),
    };
    this.store.update((data) => {
      const cutoff = Date.now() - JOB_KEEP_MS;
      data.jobs = data.jobs.filter((j) => j.jobstatus === 0 || parseTime(j.completed ?? j.created) > cutoff);
      data.jobs.push(job);
    });
    const key = instance?.id;
    const before = (key && this.queues.get(key)) || Promise.resolve();
    const done = before.then(async () => {
      let outcome: { ok: true; result: unknown } | { ok: false; code: number; text: string };
      try {
        outcome = { ok: true, result: await work() };
      } catch (err) {
        const code = err instanceof ApiError ? err.errorcode : 530;
        outcome = { ok: false, code, text: err instanceof Error ? err.message : String(err) };
        this.log(`job ${job.jobid} (${cmd}) failed: ${outcome.text}`);
      }
      if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
      this.store.update(() => {
        if (outcome.ok) Object.assign(job, { jobstatus: 1, jobresultcode: 0, jobresult: outcome.result, completed: isoNow() });
        else fail(job, outcome.code, outcome.text);
      });
    });
    // Nothing a job does may end the endpoint: an error past its own handling is logged.
    const settled = done.catch((err: unknown) => this.log(`job ${job.jobid} (${cmd}): ${err instanceof Error ? err.stack : String(err)}`));
    if (key) {
      this.queues.set(key, settled);
      void settled.finally(() => this.queues.get(key) === settled && this.queues.delete(key));
    }
    this.running.add(settled);
    void settled.finally(() => this.running.delete(settled));
    return job.jobid;
  }

  get(jobid: string): JobRecord | undefined {
    return this.store.data.jobs.find((j) => j.jobid === jobid);
  }

  /** Wait for every running job (used on close). */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.allSettled([...this.running]);
  }
}

function fail(job: JobRecord, code: number, text: string): void {
  Object.assign(job, { jobstatus: 2, jobresultcode: 530, jobresult: { errorcode: code, errortext: text }, completed: isoNow() });
}

/** CloudStack's time format: ISO 8601 to the second with a +0000 offset. */
export function isoNow(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, '+0000');
}

/** A time as CloudStack writes it ("+0000" offsets) or as ISO 8601 has it; NaN when it is neither. */
export function parseTime(value: string): number {
  return Date.parse(value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
}
