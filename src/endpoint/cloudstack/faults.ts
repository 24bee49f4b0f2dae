// Ways the endpoint misbehaves on purpose, for tests: each is off unless set.
import { z } from 'zod';

export const faultsSchema = z
  .object({
    /** Every Nth request (counting all requests) answers 429. */
    rateLimitEvery: z.number().int().positive().optional(),
    /** The first N deployVirtualMachine calls answer 533 (insufficient capacity). */
    capacityFailures: z.number().int().nonnegative().optional(),
    /** Every async job stays pending at least this long, ms. */
    jobDelayMs: z.number().int().nonnegative().optional(),
    /** The first N deploy jobs fail (530) and leave their VM in state Error, untagged. */
    failDeployJobs: z.number().int().nonnegative().optional(),
    /** Every Nth request runs, then its connection is closed without an answer. */
    dropEvery: z.number().int().positive().optional(),
  })
  .strict();

export type Faults = z.output<typeof faultsSchema>;

/** Counters behind the switches (in memory: a restart starts them over). */
export class FaultState {
  private requests = 0;
  private capacityLeft: number;
  private failJobsLeft: number;

  constructor(readonly faults: Faults = {}) {
    this.capacityLeft = faults.capacityFailures ?? 0;
    this.failJobsLeft = faults.failDeployJobs ?? 0;
  }

  /** Count a request; tells whether to rate-limit it and whether to drop its connection. */
  onRequest(): { rateLimit: boolean; drop: boolean } {
    const n = ++this.requests;
    const { rateLimitEvery, dropEvery } = this.faults;
    return {
      rateLimit: !!rateLimitEvery && n % rateLimitEvery === 0,
      drop: !!dropEvery && n % dropEvery === 0,
    };
  }

  noCapacity(): boolean {
    if (this.capacityLeft <= 0) return false;
    this.capacityLeft--;
    return true;
  }

  failDeployJob(): boolean {
    if (this.failJobsLeft <= 0) return false;
    this.failJobsLeft--;
    return true;
  }
}
