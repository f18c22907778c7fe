/** Jobs: created on a held slot, read, listed, cancelled, rescheduled and updated. */
import type { Schemas } from '../../../spec/contract';
import { differs, documented, emit, error, expiryFork, firstOf, jobDifference, sameJob, type Answer } from './answers';
import { driverRules } from './driver';
import {
  FINAL,
  isDeliveryCode,
  NO_CODE,
  past,
  stepIndex,
  unread,
  type JobModel,
  type JobState,
  type Now,
  type SlotModel,
  type TenantModel,
} from './state';

const RESCHEDULE_UNTIL = stepIndex('GOING_TO_DESTINATION_STARTED');
const IDEMPOTENCY_TTL_MS = 24 * 3600_000;

/** Location names the job, its id as given or percent-encoded (a path segment must be). */
function locationOf(jobId: string, location: string | undefined): string | undefined {
  const given = location ?? '';
  if (given === `/jobs/${jobId}` || given.endsWith(`/jobs/${encodeURIComponent(jobId)}`)) return undefined;
  return `Location: expected /jobs/${encodeURIComponent(jobId)}, got ${location === undefined ? 'none' : JSON.stringify(location)}`;
}

export interface CreateArgs {
  slot: SlotModel | undefined;
  slotId: string;
  body: Schemas['CreateJobRequest'];
  withCode: boolean;
  idempotencyKey?: string;
  reordered: boolean;
}

export const jobRules = {
  createJob(t: TenantModel, a: CreateArgs, now: Now): Answer[] {
    const stored = a.idempotencyKey === undefined ? undefined : t.idempotency.get(a.idempotencyKey);
    if (stored && !past(now, stored.at + IDEMPOTENCY_TTL_MS)) {
      const replay: Answer = {
        status: 201,
        check: (r) =>
          firstOf(
            differs('job_id (replayed)', stored.jobId, documented(r, 'createJob', 201).job_id),
            locationOf(stored.jobId, r.headers.location),
          ),
      };
      const same = JSON.stringify(stored.body) === JSON.stringify(a.body);
      if (same) return [replay];
      // The same body is the same JSON value: reordered keys replay too.
      if (a.reordered) return [replay];
      return [error(409, 'IDEMPOTENCY_KEY_REUSED')];
    }
    if (!a.slot) return [error(404, 'SLOT_NOT_FOUND')];
    if (a.slot.usedBy) return [error(409, 'SLOT_ALREADY_USED')];
    const slot = a.slot;
    const created: Answer = {
      status: 201,
      check: (r) => {
        const jobId: unknown = documented(r, 'createJob', 201)?.job_id;
        return typeof jobId !== 'string'
          ? 'no job_id'
          : t.jobs.some((j) => j.id === jobId)
            ? 'a job id was given out twice'
            : locationOf(jobId, r.headers.location);
      },
      apply: (r) => {
        const job: JobModel = {
          id: documented(r, 'createJob', 201).job_id,
          slotId: slot.id,
          state: 'CREATED',
          code: a.withCode ? { enabled: true } : NO_CODE,
          prices: a.body.payment_info.prices,
        };
        slot.usedBy = job.id;
        t.jobs.push(job);
        emit(t, job, 'CREATED');
        if (a.idempotencyKey !== undefined)
          t.idempotency.set(a.idempotencyKey, { body: a.body, jobId: job.id, at: now.ms });
      },
    };
    return expiryFork(slot, now, created, error(417, 'SLOT_EXPIRED'));
  },

  getJob(t: TenantModel, job: JobModel | undefined): Answer[] {
    if (!job) return [error(404, 'JOB_NOT_FOUND')];
    return [
      {
        status: 200,
        // The code is drawn by the implementation: the first read learns it, later reads must agree.
        check: (r) => {
          const body = documented(r, 'getJob', 200);
          return (
            jobDifference(
              { ...job, code: unread(job.code) ? { enabled: true, value: body.delivery_code } : job.code },
              body,
            ) ??
            (unread(job.code) && !isDeliveryCode(body.delivery_code)
              ? `delivery_code: expected 4 digits, got ${JSON.stringify(body.delivery_code)}`
              : undefined)
          );
        },
        apply: (r) => {
          const body = documented(r, 'getJob', 200);
          if (unread(job.code)) {
            job.code = { enabled: true, value: body.delivery_code };
            for (const x of t.endpoints.flatMap((e) => e.expected))
              if (x.jobId === job.id && unread(x.code)) x.code = job.code;
          }
          if (
            job.code.enabled &&
            job.attemptsRemaining === undefined &&
            Number.isInteger(body.delivery_code_attempts_remaining)
          ) {
            job.attemptsRemaining = job.maxAttempts = body.delivery_code_attempts_remaining;
          }
        },
      },
    ];
  },

  cancelJob(t: TenantModel, job: JobModel | undefined, reason: unknown): Answer[] {
    if (typeof reason !== 'string' && reason !== undefined) return [error(422, 'VALIDATION_FAILED')];
    if (!job) return [error(404, 'JOB_NOT_FOUND')];
    if (FINAL.has(job.state)) return [error(409, 'ILLEGAL_TRANSITION')];
    const after: JobModel = { ...job, state: 'CANCELLED', cancellationReason: reason };
    return [
      {
        status: 200,
        check: sameJob(after, 'cancelJob'),
        apply: () => {
          Object.assign(job, after);
          emit(t, job, 'CANCELLED');
        },
      },
    ];
  },

  rescheduleJob(
    t: TenantModel,
    job: JobModel | undefined,
    slot: SlotModel | undefined,
    valid: boolean,
    now: Now,
  ): Answer[] {
    if (!valid) return [error(422, 'VALIDATION_FAILED')];
    if (!job) return [error(404, 'JOB_NOT_FOUND')];
    if (FINAL.has(job.state) || stepIndex(job.state) >= RESCHEDULE_UNTIL) return [error(409, 'ILLEGAL_TRANSITION')];
    if (!slot) return [error(404, 'SLOT_NOT_FOUND')];
    if (slot.usedBy) return [error(409, 'SLOT_ALREADY_USED')];
    const moved: Answer = {
      status: 200,
      check: sameJob({ ...job, slotId: slot.id }, 'rescheduleJob'),
      apply: () => {
        slot.usedBy = job.id;
        job.slotId = slot.id;
        emit(t, job, 'RESCHEDULED');
      },
    };
    return expiryFork(slot, now, moved, error(417, 'SLOT_EXPIRED'));
  },

  updatePaymentInfo(
    t: TenantModel,
    job: JobModel | undefined,
    paymentInfo: Schemas['PaymentInfo'],
    valid: boolean,
  ): Answer[] {
    if (!valid) return [error(422, 'VALIDATION_FAILED')];
    if (!job) return [error(404, 'JOB_NOT_FOUND')];
    if (FINAL.has(job.state)) return [error(409, 'ILLEGAL_TRANSITION')];
    const pricesChanged = JSON.stringify(job.prices) !== JSON.stringify(paymentInfo.prices);
    const after = { ...job, prices: paymentInfo.prices };
    return [
      {
        status: 200,
        check: sameJob(after, 'updatePaymentInfo'),
        apply: () => {
          Object.assign(job, after);
          emit(t, job, 'PAYMENT_UPDATED');
          if (pricesChanged) emit(t, job, 'PRICES_UPDATED');
        },
      },
    ];
  },

  replaceExternalData(t: TenantModel, job: JobModel | undefined, data: unknown, valid: boolean): Answer[] {
    if (!valid) return [error(422, 'VALIDATION_FAILED')];
    if (!job) return [error(404, 'JOB_NOT_FOUND')];
    const after = { ...job, externalData: data };
    return [
      {
        status: 200,
        check: sameJob(after, 'replaceExternalData'),
        apply: () => {
          Object.assign(job, after);
          emit(t, job, 'EXTERNAL_DATA_UPDATED');
        },
      },
    ];
  },

  updateRecipientInstructions(t: TenantModel, job: JobModel | undefined, valid: boolean): Answer[] {
    if (!valid) return [error(422, 'VALIDATION_FAILED')];
    if (!job) return [error(404, 'JOB_NOT_FOUND')];
    if (FINAL.has(job.state)) return [error(409, 'ILLEGAL_TRANSITION')];
    return [
      {
        status: 200,
        check: sameJob(job, 'updateRecipientInstructions'),
        apply: () => emit(t, job, 'JOB_COMMENT_UPDATED'),
      },
    ];
  },

  listJobs(t: TenantModel, state: JobState | undefined, limit: number, valid: boolean): Answer[] {
    if (!valid) return [error(422, 'VALIDATION_FAILED')];
    const matching = t.jobs.filter((j) => state === undefined || j.state === state);
    return [
      {
        status: 200,
        check: (r) => {
          const jobs = documented(r, 'listJobs', 200);
          if (!Array.isArray(jobs)) return 'not a list';
          if (jobs.length > limit) return `more than limit=${limit} jobs`;
          for (const listed of jobs) {
            const known = t.jobs.find((j) => j.id === listed.id);
            if (!known) {
              if (t.shared) continue;
              return `listed job ${listed.id} was never created by this tenant`;
            }
            if (state !== undefined && listed.state !== state)
              return `job ${listed.id} listed under state=${state} is ${listed.state}`;
            const wrong = jobDifference(known, listed);
            if (wrong) return `job ${listed.id}: ${wrong}`;
          }
          const ids = new Set(jobs.map((j) => j.id));
          if (jobs.length < limit) {
            const missing = matching.find((j) => !ids.has(j.id));
            if (missing) return `job ${missing.id} (${missing.state}) is missing from the list`;
          } else if (!t.shared && matching.length > limit) {
            // Newest first: the jobs listed are the newest `limit` of those matching.
            const newest = new Set(matching.slice(-limit).map((j) => j.id));
            const older = jobs.find((j) => !newest.has(j.id));
            if (older) return `job ${older.id} is listed but ${limit} newer jobs match`;
          }
          return undefined;
        },
      },
    ];
  },

  ...driverRules,
};
