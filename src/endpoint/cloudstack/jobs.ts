// Async jobs: a command starts work and answers {jobid} at once; queryAsyncJobResult reports it.
// Pending jobs left by a stopped endpoint are marked failed at start-up (their work died with it).
import { randomUUID } from 'node:crypto';
import { ApiError } from './errors.ts';
import type { JobRecord, Store } from './store.ts';

export class Jobs {
  private readonly running = new Set<Promise<void>>();

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

  start(cmd: string, instance: { type: string; id: string } | undefined, work: () => Promise<unknown>): string {
    const job: JobRecord = {
      jobid: randomUUID(),
      cmd,
      jobstatus: 0,
      jobresultcode: 0,
      jobinstancetype: instance?.type,
      jobinstanceid: instance?.id,
      created: new Date().toISOString(),
    };
    this.store.update((data) => data.jobs.push(job));
    const done = (async () => {
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
        if (outcome.ok) Object.assign(job, { jobstatus: 1, jobresultcode: 0, jobresult: outcome.result });
        else fail(job, outcome.code, outcome.text);
      });
    })();
    // Nothing a job does may end the endpoint: an error past its own handling is logged.
    const settled = done.catch((err: unknown) => this.log(`job ${job.jobid} (${cmd}): ${err instanceof Error ? err.stack : String(err)}`));
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
  Object.assign(job, { jobstatus: 2, jobresultcode: 530, jobresult: { errorcode: code, errortext: text } });
}
