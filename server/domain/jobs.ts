/** Jobs: creation on a held slot (idempotent when asked), reading, and the client's changes to them. */
import { createHash } from 'node:crypto';
import { knownFieldsOnly, splitKnownFields, type Schemas } from '../../spec/contract';
import { canonicalJson } from './canonical-json';
import { iso } from './clock';
import { drawDeliveryCode } from './delivery-code';
import { DomainError } from './errors';
import { newUuid } from './ids';
import { FINAL_STATES, LIFECYCLE, type JobState, type OperationContext } from './operation';
import { jobChanged, recordEvent, type Outcome, type RecordWrite } from './outcome';
import { holdSlot, placement, usableSlot } from './slots';
import type { Job } from './store';

export type CreateJobRequest = Schemas['CreateJobRequest'];

/** A created job in the domain's terms; the adapter says how it is answered. */
export interface CreatedJob {
  jobId: string;
  response: Schemas['CreateJobResponse'];
  /** True when an earlier create with the same Idempotency-Key and body is given back. */
  replayed: boolean;
}

const CREATE_SCHEMA = '#/components/schemas/CreateJobRequest';
const RESCHEDULE_UNTIL = LIFECYCLE.indexOf('GOING_TO_DESTINATION_STARTED');
const BACK_OFFICE_CONTACTLESS_COMMENTS = new Set(['LeaveInReception', 'LeaveAtTheDoor']);

export async function createJob(
  op: OperationContext,
  request: CreateJobRequest,
  idempotencyKey?: string,
): Promise<Outcome<CreatedJob>> {
  let fingerprint = '';
  if (idempotencyKey !== undefined) {
    fingerprint = createHash('sha256').update(canonicalJson(request)).digest('base64url');
    const previous = await op.tx.idempotency.get(idempotencyKey);
    if (previous && previous.expiresAtMs > op.now) {
      if (previous.fingerprint !== fingerprint) {
        throw new DomainError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used with another body');
      }
      return { answer: { jobId: previous.jobId, response: previous.response, replayed: true }, writes: [], events: [] };
    }
  }
  const slot = await usableSlot(op, request.slot_id);
  const writes: RecordWrite[] = await makeRoomForJob(op);

  const {
    known: { slot_id: _slotId, ...known },
    unknown,
  } = splitKnownFields(CREATE_SCHEMA, request);
  const warnings: Schemas['Warning'][] = unknown.map((param) => ({
    code: 'UNKNOWN_FIELD' as const,
    param,
    msg: 'Unknown field ignored',
  }));
  const contactlessComment = request.contact_less?.comment;
  if (contactlessComment !== undefined && !BACK_OFFICE_CONTACTLESS_COMMENTS.has(contactlessComment)) {
    warnings.push({
      code: 'COMPATIBILITY',
      param: 'contact_less.comment',
      msg: 'Use LeaveInReception or LeaveAtTheDoor for full compatibility with the back office',
    });
  }
  if (request.payment_info.currency_code !== slot.quote.currency_code) {
    warnings.push({
      code: 'COMPATIBILITY',
      param: 'payment_info.currency_code',
      msg: `The slot was quoted in ${slot.quote.currency_code}`,
    });
  }
  if (slot.fromMs < op.now) {
    warnings.push({
      code: 'WINDOW_IN_PAST',
      param: 'slot_id',
      msg: `The slot's window starts at ${iso(slot.fromMs)}, before the tenant's clock (${iso(op.now)})`,
    });
  }

  const at = iso(op.now);
  const newJob: Job = {
    id: newUuid(),
    state: 'CREATED',
    ...known,
    ...placement(slot),
    add_delivery_code: request.add_delivery_code === true,
    history: [],
    created_at: at,
    updated_at: at,
  };
  if (newJob.add_delivery_code) {
    newJob.delivery_code = drawDeliveryCode();
    newJob.delivery_code_attempts_remaining = op.config.deliveryCodeAttempts;
  }
  const { job, event } = recordEvent(op, newJob, 'CREATED');
  writes.push(holdSlot(slot, job.id), { kind: 'jobs', put: job });

  const created: CreatedJob = {
    jobId: job.id,
    response: { message: 'Job created', job_id: job.id, warnings },
    replayed: false,
  };
  if (idempotencyKey !== undefined) {
    writes.push({
      kind: 'idempotency',
      put: {
        id: idempotencyKey,
        fingerprint,
        expiresAtMs: op.now + op.config.idempotencyTtlSeconds * 1000,
        jobId: job.id,
        response: created.response,
      },
    });
  }
  return { answer: created, writes, events: [event] };
}

/** Room for one more job: none needed, or the oldest finished job forgotten; TENANT_FULL when every job is unfinished. */
async function makeRoomForJob(op: OperationContext): Promise<RecordWrite[]> {
  const count = await op.tx.jobs.count();
  if (count < op.config.maxJobsPerTenant) return [];
  for await (const job of op.tx.jobs.list('oldest')) {
    if (FINAL_STATES.has(job.state)) return [{ kind: 'jobs', delete: job.id }];
  }
  throw new DomainError('TENANT_FULL', `Tenant holds ${count} unfinished jobs, the most allowed; cancel some or reset`);
}

/** The tenant's job of this id, or JOB_NOT_FOUND. */
export async function findJob(op: OperationContext, jobId: string): Promise<Job> {
  const job = await op.tx.jobs.get(jobId);
  if (!job) throw new DomainError('JOB_NOT_FOUND', `Job ${jobId} not found`);
  return job;
}

export async function listJobs(
  op: OperationContext,
  filter: { state?: JobState; limit?: number } = {},
): Promise<Job[]> {
  const limit = filter.limit ?? 100;
  const out: Job[] = [];
  if (limit <= 0) return out;
  for await (const job of op.tx.jobs.list('newest')) {
    if (!filter.state || job.state === filter.state) out.push(job);
    if (out.length >= limit) break;
  }
  return out;
}

export async function cancelJob(
  op: OperationContext,
  jobId: string,
  request: Schemas['CancelJobRequest'] = {},
): Promise<Outcome<Job>> {
  const job = await findJob(op, jobId);
  refuseIfFinal(job, 'be cancelled');
  const next: Job = { ...job, state: 'CANCELLED' };
  if (request.reason !== undefined) next.cancellation_reason = request.reason;
  return jobChanged(op, next, 'CANCELLED');
}

export async function rescheduleJob(
  op: OperationContext,
  jobId: string,
  request: Schemas['RescheduleJobRequest'],
): Promise<Outcome<Job>> {
  const job = await findJob(op, jobId);
  refuseIfFinal(job, 'be rescheduled');
  if (LIFECYCLE.indexOf(job.state) >= RESCHEDULE_UNTIL) {
    throw new DomainError(
      'ILLEGAL_TRANSITION',
      `Job is ${job.state}; it can only be rescheduled before GOING_TO_DESTINATION_STARTED`,
    );
  }
  const slot = await usableSlot(op, request.slot_id);
  const moved = jobChanged(op, { ...job, ...placement(slot) }, 'RESCHEDULED');
  return { ...moved, writes: [holdSlot(slot, job.id), ...moved.writes] };
}

/** Production's payment update: a whole new `payment_info`; PRICES_UPDATED too when the prices changed. */
export async function updatePaymentInfo(
  op: OperationContext,
  jobId: string,
  paymentInfo: Schemas['PaymentInfo'],
): Promise<Outcome<Job>> {
  const job = await findJob(op, jobId);
  refuseIfFinal(job, 'change its payment');
  const next = knownFieldsOnly('#/components/schemas/PaymentInfo', paymentInfo);
  const pricesChanged = JSON.stringify(job.payment_info.prices) !== JSON.stringify(next.prices);
  const types: Schemas['EventType'][] = pricesChanged ? ['PAYMENT_UPDATED', 'PRICES_UPDATED'] : ['PAYMENT_UPDATED'];
  return jobChanged(op, { ...job, payment_info: next }, ...types);
}

/** Production's external data update: a full replace, allowed in any state. */
export async function replaceExternalData(
  op: OperationContext,
  jobId: string,
  externalData: Schemas['ExternalData'],
): Promise<Outcome<Job>> {
  const job = await findJob(op, jobId);
  return jobChanged(
    op,
    { ...job, external_data: knownFieldsOnly('#/components/schemas/ExternalData', externalData) },
    'EXTERNAL_DATA_UPDATED',
  );
}

export async function updateRecipientInstructions(
  op: OperationContext,
  jobId: string,
  request: Schemas['RecipientInstructionsRequest'],
): Promise<Outcome<Job>> {
  const job = await findJob(op, jobId);
  refuseIfFinal(job, 'change');
  // Only unknown fields: the recipient changed nothing, so nothing is recorded or sent.
  if (request.job_comment === undefined && request.contact_less === undefined)
    return { answer: job, writes: [], events: [] };
  const next: Job = { ...job };
  if (request.job_comment !== undefined) next.job_comment = request.job_comment;
  if (request.contact_less !== undefined)
    next.contact_less = knownFieldsOnly('#/components/schemas/ContactLess', request.contact_less);
  return jobChanged(op, next, 'JOB_COMMENT_UPDATED');
}

/** Throws ILLEGAL_TRANSITION when the job is finished and so cannot `action`. */
export function refuseIfFinal(job: Job, action: string): void {
  if (FINAL_STATES.has(job.state))
    throw new DomainError('ILLEGAL_TRANSITION', `Job is ${job.state}; it cannot ${action}`);
}
