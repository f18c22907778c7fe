/**
 * The explorer's model of the contract: what a tenant holds, and for each operation, in
 * which state it applies and what it must answer. Pure: no I/O, no clock of its own (the
 * caller says what time the tenant's clock shows, and how sure it is). Where the contract
 * allows several answers the model lists them all, and each answer says what it changes.
 */
import { LIFECYCLE, type OperationId, type Schemas } from '../../spec/contract';
import type { ApiResponse, StatusOf } from '../api';

export { LIFECYCLE };
const FINAL = new Set(['CLIENT_RECEIVED', 'CANCELLED']);
const stepIndex = (state: string) => LIFECYCLE.findIndex((step) => step === state);
const RESCHEDULE_UNTIL = stepIndex('GOING_TO_DESTINATION_STARTED');
const CODE_FROZEN_FROM = stepIndex('DELIVERING_STARTED');
const IDEMPOTENCY_TTL_MS = 24 * 3600_000;

export interface SlotModel { id: string; expiresAt: number; originalExpiresAt: number; heldAt: number; extended: boolean; usedBy?: string }
export interface EventModel { jobId: string; type: string; states: string[]; code?: string }
export interface JobModel {
  id: string; slotId: string; state: string; code?: string;
  /** Unknown (undefined) until the implementation first says it. */
  attemptsRemaining?: number;
  maxAttempts?: number;
  prices: Schemas['PaymentInfo']['prices'];
  /** Compared as a JSON value only. */
  externalData?: unknown; cancellationReason?: string;
}
export interface EndpointModel { id: string; inbox: number; live: boolean; expected: EventModel[]; retried: string[] }
export interface IdempotentCreate { body: Schemas['CreateJobRequest']; reordered: Schemas['CreateJobRequest']; jobId: string; at: number }

export interface TenantModel {
  slots: SlotModel[];
  jobs: JobModel[];
  endpoints: EndpointModel[];
  /** Endpoints the tenant held before exploring (shared tenants), counted against the limit of 3. */
  foreignEndpoints: number;
  idempotency: Map<string, IdempotentCreate>;
  deliveries: Array<{ id: string; endpointId: string }>;
  /** Whether jobs the explorer did not create may show up (a shared tenant). */
  shared: boolean;
}

export interface Model { tenants: TenantModel[] }

export function newTenant(shared = false, foreignEndpoints = 0): TenantModel {
  return { slots: [], jobs: [], endpoints: [], foreignEndpoints, idempotency: new Map(), deliveries: [], shared };
}

/** What the tenant's clock shows now, give or take `slackMs` (0 when frozen). */
export interface Now { ms: number; slackMs: number }
const past = (now: Now, t: number) => now.ms - now.slackMs > t;
const surelyBefore = (now: Now, t: number) => now.ms + now.slackMs <= t;

export interface Response { status: number; body: unknown; headers: Record<string, string> }

/**
 * The body of an answer read as the JSON the spec documents for the operation at that
 * status. Honest because the session judges every answer against the spec before a rule
 * reads it (a violation is a Mismatch), and a rule reads only the answer of its own status.
 */
function documented<O extends OperationId, S extends StatusOf<O>>(r: Response, _operationId: O, _status: S): ApiResponse<O, S>['json'] {
  return r.body as ApiResponse<O, S>['json'];
}

/** The operations whose success answers with the job. */
type JobAnswering = 'getJob' | 'cancelJob' | 'rescheduleJob' | 'updateDeliveryCode' | 'updatePaymentInfo' | 'replaceExternalData' | 'updateRecipientInstructions' | 'advanceJob';
export interface Answer {
  status: number;
  code?: string;
  /** What else the answer must show; a description of the difference, or undefined. */
  check?(response: Response): string | undefined;
  /** What the answer changes in the model. */
  apply?(response: Response): void;
  /** Why the contract allows this answer, when it is one of several. */
  note?: string;
}

const error = (status: number, code: string, apply?: Answer['apply'], note?: string): Answer => ({ status, code, apply, note });
const differs = (what: string, expected: unknown, got: unknown) => JSON.stringify(expected) === JSON.stringify(got) ? undefined : `${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(got)}`;
const firstOf = (...found: Array<string | undefined>) => found.find((f) => f !== undefined);

function emit(tenant: TenantModel, job: JobModel, type: string, states: string[] = [job.state]): void {
  for (const endpoint of tenant.endpoints) if (endpoint.live) endpoint.expected.push({ jobId: job.id, type, states, code: job.code });
}

/** The job as the contract says GET shows it, in the fields the model knows. */
export function jobDifference(job: JobModel, body: Schemas['Job']): string | undefined {
  if (!body || typeof body !== 'object') return 'the body is not a job';
  return firstOf(
    differs('id', job.id, body.id),
    differs('state', job.state, body.state),
    differs('slot.id', job.slotId, body.slot?.id),
    differs('delivery_code', job.code, body.delivery_code),
    // Optional and not promised on every answer: judged only where it is given.
    job.attemptsRemaining === undefined || body.delivery_code_attempts_remaining === undefined ? undefined : differs('delivery_code_attempts_remaining', job.attemptsRemaining, body.delivery_code_attempts_remaining),
    job.cancellationReason === undefined ? undefined : differs('cancellation_reason', job.cancellationReason, body.cancellation_reason),
    job.externalData === undefined ? undefined : differs('external_data', job.externalData, body.external_data),
    differs('payment_info.prices', job.prices, body.payment_info?.prices),
  );
}
const sameJob = (job: JobModel, operationId: JobAnswering): Answer['check'] => (r) => jobDifference(job, documented(r, operationId, 200));

// ---- slots -------------------------------------------------------------------------------

export const slotRules = {
  getAvailability(t: TenantModel, now: Now): Answer[] {
    return [{
      status: 200,
      check: (r) => {
        const slots = documented(r, 'getAvailability', 200);
        return !Array.isArray(slots) || slots.length === 0 ? 'availability for a four-hour window gave no slot'
          : slots.find((s) => t.slots.some((known) => known.id === s.id)) ? 'a slot id was given out twice'
            : slots.find((s) => !surelyBefore(now, Date.parse(s.expires_at))) ? 'a slot was handed out already expired' : undefined;
      },
      apply: (r) => {
        for (const s of documented(r, 'getAvailability', 200)) t.slots.push({ id: s.id, expiresAt: Date.parse(s.expires_at), originalExpiresAt: Date.parse(s.expires_at), heldAt: now.ms, extended: false });
      },
    }];
  },

  checkSlot(slot: SlotModel | undefined, now: Now): Answer[] {
    if (!slot) return [error(404, 'SLOT_NOT_FOUND')];
    const view = (status: string) => (r: Response) => {
      const check = documented(r, 'checkSlot', 200);
      return firstOf(differs('status', status, check.status), differs('valid', status === 'AVAILABLE', check.valid),
        differs('expires_at', slot.expiresAt, Date.parse(check.expires_at)), differs('extended', slot.extended, check.extended));
    };
    if (slot.usedBy) return [{ status: 200, check: view('USED') }];
    return expiryFork(slot, now, { status: 200, check: view('AVAILABLE') }, { status: 200, check: view('EXPIRED') });
  },

  extendSlot(slot: SlotModel | undefined, now: Now): Answer[] {
    if (!slot) return [error(404, 'SLOT_NOT_FOUND')];
    if (slot.usedBy) return [error(409, 'SLOT_ALREADY_USED')];
    const hold = slot.originalExpiresAt - slot.heldAt;
    const extended: Answer = {
      status: 200,
      // Three holds past the original expiry; the hold is known only to within the clock's slack.
      check: (r) => {
        const check = documented(r, 'extendSlot', 200);
        return Math.abs(Date.parse(check.expires_at) - (slot.originalExpiresAt + 3 * hold)) > 2 * now.slackMs + 1000
          ? `expires_at: expected the original expiry plus three holds (${new Date(slot.originalExpiresAt + 3 * hold).toISOString()}), got ${check.expires_at}`
          : differs('extended', true, check.extended);
      },
      apply: (r) => { slot.expiresAt = Date.parse(documented(r, 'extendSlot', 200).expires_at); slot.extended = true; },
    };
    return expiryFork(slot, now, extended, error(417, 'SLOT_EXPIRED'));
  },
};

/** Location names the job, its id as given or percent-encoded (a path segment must be). */
function locationOf(jobId: string, location: string | undefined): string | undefined {
  const given = location ?? '';
  if (given === `/jobs/${jobId}` || given.endsWith(`/jobs/${encodeURIComponent(jobId)}`)) return undefined;
  return `Location: expected /jobs/${encodeURIComponent(jobId)}, got ${location === undefined ? 'none' : JSON.stringify(location)}`;
}

/** Near the expiry the clock's slack allows either answer; away from it only one. */
function expiryFork(slot: SlotModel, now: Now, held: Answer, expired: Answer): Answer[] {
  if (past(now, slot.expiresAt)) return [expired];
  if (surelyBefore(now, slot.expiresAt)) return [held];
  return [held, expired];
}

// ---- jobs --------------------------------------------------------------------------------

export interface CreateArgs { slot: SlotModel | undefined; slotId: string; body: Schemas['CreateJobRequest']; withCode: boolean; idempotencyKey?: string; reordered: boolean }

export const jobRules = {
  createJob(t: TenantModel, a: CreateArgs, now: Now): Answer[] {
    const stored = a.idempotencyKey === undefined ? undefined : t.idempotency.get(a.idempotencyKey);
    if (stored && !past(now, stored.at + IDEMPOTENCY_TTL_MS)) {
      const replay: Answer = { status: 201, check: (r) => firstOf(differs('job_id (replayed)', stored.jobId, documented(r, 'createJob', 201).job_id), locationOf(stored.jobId, r.headers.location)) };
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
        return typeof jobId !== 'string' ? 'no job_id' : t.jobs.some((j) => j.id === jobId) ? 'a job id was given out twice'
          : locationOf(jobId, r.headers.location);
      },
      apply: (r) => {
        const job: JobModel = { id: documented(r, 'createJob', 201).job_id, slotId: slot.id, state: 'CREATED', prices: a.body.payment_info.prices };
        if (a.withCode) job.code = '(unread)';
        slot.usedBy = job.id;
        t.jobs.push(job);
        emit(t, job, 'CREATED');
        if (a.idempotencyKey !== undefined) t.idempotency.set(a.idempotencyKey, { body: a.body, reordered: a.body, jobId: job.id, at: now.ms });
      },
    };
    return expiryFork(slot, now, created, error(417, 'SLOT_EXPIRED'));
  },

  getJob(t: TenantModel, job: JobModel | undefined): Answer[] {
    if (!job) return [error(404, 'JOB_NOT_FOUND')];
    return [{
      status: 200,
      // The code is drawn by the implementation: the first read learns it, later reads must agree.
      check: (r) => {
        const body = documented(r, 'getJob', 200);
        return jobDifference({ ...job, code: job.code === '(unread)' ? body.delivery_code : job.code }, body)
          ?? (job.code === '(unread)' && !/^[0-9]{4}$/.test(String(body.delivery_code)) ? `delivery_code: expected 4 digits, got ${JSON.stringify(body.delivery_code)}` : undefined);
      },
      apply: (r) => {
        const body = documented(r, 'getJob', 200);
        if (job.code === '(unread)') {
          job.code = body.delivery_code;
          for (const x of t.endpoints.flatMap((e) => e.expected)) if (x.jobId === job.id && x.code === '(unread)') x.code = job.code;
        }
        if (job.code !== undefined && job.attemptsRemaining === undefined && Number.isInteger(body.delivery_code_attempts_remaining)) {
          job.attemptsRemaining = job.maxAttempts = body.delivery_code_attempts_remaining;
        }
      },
    }];
  },

  cancelJob(t: TenantModel, job: JobModel | undefined, reason: unknown): Answer[] {
    if (typeof reason !== 'string' && reason !== undefined) return [error(422, 'VALIDATION_FAILED')];
    if (!job) return [error(404, 'JOB_NOT_FOUND')];
    if (FINAL.has(job.state)) return [error(409, 'ILLEGAL_TRANSITION')];
    const after = { ...job, state: 'CANCELLED', cancellationReason: reason as string | undefined };
    return [{ status: 200, check: sameJob(after, 'cancelJob'), apply: () => { Object.assign(job, after); emit(t, job, 'CANCELLED'); } }];
  },

  rescheduleJob(t: TenantModel, job: JobModel | undefined, slot: SlotModel | undefined, valid: boolean, now: Now): Answer[] {
    if (!valid) return [error(422, 'VALIDATION_FAILED')];
    if (!job) return [error(404, 'JOB_NOT_FOUND')];
    if (FINAL.has(job.state) || stepIndex(job.state) >= RESCHEDULE_UNTIL) return [error(409, 'ILLEGAL_TRANSITION')];
    if (!slot) return [error(404, 'SLOT_NOT_FOUND')];
    if (slot.usedBy) return [error(409, 'SLOT_ALREADY_USED')];
    const moved: Answer = {
      status: 200,
      check: sameJob({ ...job, slotId: slot.id }, 'rescheduleJob'),
      apply: () => { slot.usedBy = job.id; job.slotId = slot.id; emit(t, job, 'RESCHEDULED'); },
    };
    return expiryFork(slot, now, moved, error(417, 'SLOT_EXPIRED'));
  },

  updateDeliveryCode(job: JobModel | undefined, code: string): Answer[] {
    if (!/^[0-9]{4}$/.test(code)) return [error(422, 'VALIDATION_FAILED')];
    if (!job) return [error(404, 'JOB_NOT_FOUND')];
    if (job.code === undefined) return [error(409, 'DELIVERY_CODE_NOT_ENABLED')];
    const unlocking = job.state === 'DELIVERING_STARTED' && job.attemptsRemaining === 0;
    if (job.state === 'CANCELLED' || (stepIndex(job.state) >= CODE_FROZEN_FROM && !unlocking)) return [error(409, 'DELIVERY_CODE_FROZEN')];
    const after = { ...job, code, attemptsRemaining: job.maxAttempts };
    return [{ status: 200, check: sameJob(after, 'updateDeliveryCode'), apply: () => Object.assign(job, after) }];
  },

  updatePaymentInfo(t: TenantModel, job: JobModel | undefined, paymentInfo: Schemas['PaymentInfo'], valid: boolean): Answer[] {
    if (!valid) return [error(422, 'VALIDATION_FAILED')];
    if (!job) return [error(404, 'JOB_NOT_FOUND')];
    if (FINAL.has(job.state)) return [error(409, 'ILLEGAL_TRANSITION')];
    const pricesChanged = JSON.stringify(job.prices) !== JSON.stringify(paymentInfo.prices);
    const after = { ...job, prices: paymentInfo.prices };
    return [{
      status: 200,
      check: sameJob(after, 'updatePaymentInfo'),
      apply: () => { Object.assign(job, after); emit(t, job, 'PAYMENT_UPDATED'); if (pricesChanged) emit(t, job, 'PRICES_UPDATED'); },
    }];
  },

  replaceExternalData(t: TenantModel, job: JobModel | undefined, data: unknown, valid: boolean): Answer[] {
    if (!valid) return [error(422, 'VALIDATION_FAILED')];
    if (!job) return [error(404, 'JOB_NOT_FOUND')];
    const after = { ...job, externalData: data };
    return [{ status: 200, check: sameJob(after, 'replaceExternalData'), apply: () => { Object.assign(job, after); emit(t, job, 'EXTERNAL_DATA_UPDATED'); } }];
  },

  updateRecipientInstructions(t: TenantModel, job: JobModel | undefined, valid: boolean): Answer[] {
    if (!valid) return [error(422, 'VALIDATION_FAILED')];
    if (!job) return [error(404, 'JOB_NOT_FOUND')];
    if (FINAL.has(job.state)) return [error(409, 'ILLEGAL_TRANSITION')];
    return [{ status: 200, check: sameJob(job, 'updateRecipientInstructions'), apply: () => emit(t, job, 'JOB_COMMENT_UPDATED') }];
  },

  /** The driver. `code`: what the driver types, if anything. */
  advanceJob(t: TenantModel, job: JobModel | undefined, to: string | undefined, code: string | undefined): Answer[] {
    // A delivery_code that is not 4 digits is invalid input: refused before the job is
    // looked at (the request is judged first), and it costs no attempt.
    if (code !== undefined && !/^[0-9]{4}$/.test(code)) return [error(422, 'VALIDATION_FAILED', undefined, 'a delivery_code that is not 4 digits is refused as invalid input')];
    if (!job) return [error(404, 'JOB_NOT_FOUND')];
    if (FINAL.has(job.state)) return [error(409, 'ILLEGAL_TRANSITION')];
    const current = stepIndex(job.state);
    const target = to === undefined ? current + 1 : stepIndex(to);
    if (target <= current) return [error(409, 'ILLEGAL_TRANSITION')];
    const steps = LIFECYCLE.slice(current + 1, target + 1) as readonly string[];
    const moved = (): Answer => ({
      status: 200,
      check: sameJob({ ...job, state: steps[steps.length - 1] }, 'advanceJob'),
      apply: () => { job.state = steps[steps.length - 1]; for (const step of steps) emit(t, job, step, [step, job.state]); },
    });
    if (!steps.includes('CLIENT_RECEIVED') || job.code === undefined) return [moved()];
    if (job.attemptsRemaining === 0) return [error(423, 'DELIVERY_CODE_LOCKED')];
    if (code === undefined) return [error(422, 'VALIDATION_FAILED')];
    if (code === job.code) return [moved()];
    const left = job.attemptsRemaining === undefined ? undefined : job.attemptsRemaining - 1;
    const wrong: Answer = {
      status: 422, code: 'INVALID_DELIVERY_CODE',
      check: (r) => {
        const remaining = documented(r, 'advanceJob', 422).attempts_remaining;
        return left === undefined ? (Number.isInteger(remaining) ? undefined : 'attempts_remaining missing') : differs('attempts_remaining', left, remaining);
      },
      apply: (r) => { job.attemptsRemaining = documented(r, 'advanceJob', 422).attempts_remaining; },
    };
    return [wrong];
  },

  listJobs(t: TenantModel, state: string | undefined, limit: number, valid: boolean): Answer[] {
    if (!valid) return [error(422, 'VALIDATION_FAILED')];
    const matching = t.jobs.filter((j) => state === undefined || j.state === state);
    return [{
      status: 200,
      check: (r) => {
        const jobs = documented(r, 'listJobs', 200);
        if (!Array.isArray(jobs)) return 'not a list';
        if (jobs.length > limit) return `more than limit=${limit} jobs`;
        for (const listed of jobs) {
          const known = t.jobs.find((j) => j.id === listed.id);
          if (!known) { if (t.shared) continue; return `listed job ${listed.id} was never created by this tenant`; }
          if (state !== undefined && listed.state !== state) return `job ${listed.id} listed under state=${state} is ${listed.state}`;
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
    }];
  },
};

// ---- webhook endpoints and deliveries ---------------------------------------------------

export const webhookRules = {
  createWebhookEndpoint(t: TenantModel, inbox: number, valid: boolean): Answer[] {
    if (!valid) return [error(422, 'VALIDATION_FAILED')];
    if (t.endpoints.filter((e) => e.live).length + t.foreignEndpoints >= 3) return [error(409, 'WEBHOOK_ENDPOINT_LIMIT')];
    return [{
      status: 201,
      check: (r) => t.endpoints.some((e) => e.id === documented(r, 'createWebhookEndpoint', 201).id) ? 'an endpoint id was given out twice' : undefined,
      apply: (r) => { t.endpoints.push({ id: documented(r, 'createWebhookEndpoint', 201).id, inbox, live: true, expected: [], retried: [] }); },
    }];
  },

  deleteWebhookEndpoint(t: TenantModel, endpoint: EndpointModel | undefined): Answer[] {
    if (!endpoint || !endpoint.live) return [error(404, 'WEBHOOK_ENDPOINT_NOT_FOUND')];
    return [{ status: 204, apply: () => { endpoint.live = false; } }];
  },

  listWebhookEndpoints(t: TenantModel): Answer[] {
    const live = t.endpoints.filter((e) => e.live).map((e) => e.id).sort();
    return [{
      status: 200,
      check: (r) => {
        const endpoints = documented(r, 'listWebhookEndpoints', 200);
        const listed = endpoints.map((e) => e.id).filter((id) => t.shared ? t.endpoints.some((e) => e.id === id) : true).sort();
        return differs('endpoint ids', live, listed) ?? (endpoints.some((e) => 'secret' in e) ? 'a secret is shown again' : undefined);
      },
    }];
  },

  /** One entry per event and endpoint that existed when it happened, deleted endpoints included. */
  listWebhookDeliveries(t: TenantModel, job: JobModel | undefined, valid: boolean): Answer[] {
    if (!valid) return [error(422, 'VALIDATION_FAILED')];
    const expected = t.endpoints.flatMap((e) => e.expected.filter((x) => job === undefined || x.jobId === job.id).map((x) => `${e.id} ${x.jobId} ${x.type}`)).sort();
    return [{
      status: 200,
      check: (r) => {
        const listed = documented(r, 'listWebhookDeliveries', 200).filter((d) => t.endpoints.some((e) => e.id === d.endpoint_id)).map((d) => `${d.endpoint_id} ${d.job_id} ${d.event_type}`).sort();
        return differs('deliveries (endpoint, job, event)', expected, listed);
      },
      apply: (r) => {
        for (const d of documented(r, 'listWebhookDeliveries', 200)) if (!t.deliveries.some((k) => k.id === d.id)) t.deliveries.push({ id: d.id, endpointId: d.endpoint_id });
      },
    }];
  },

  retryWebhookDelivery(t: TenantModel, delivery: { id: string; endpointId: string } | undefined, eventId: (id: string) => void): Answer[] {
    if (!delivery) return [error(404, 'WEBHOOK_DELIVERY_NOT_FOUND')];
    const endpoint = t.endpoints.find((e) => e.id === delivery.endpointId);
    const queued: Answer = {
      status: 202,
      check: (r) => differs('id', delivery.id, documented(r, 'retryWebhookDelivery', 202).id),
      apply: (r) => {
        const { event_id: queuedEvent } = documented(r, 'retryWebhookDelivery', 202);
        if (endpoint?.live) { endpoint.retried.push(queuedEvent); eventId(queuedEvent); }
      },
    };
    if (endpoint && !endpoint.live) return [error(409, 'WEBHOOK_ENDPOINT_DELETED', undefined, 'the endpoint was deleted')];
    return [queued];
  },
};
