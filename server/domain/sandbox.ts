/**
 * The sandbox's domain: slots, jobs, their lifecycle, delivery codes, tenants and their
 * clocks. Plain TypeScript: it knows nothing of HTTP. Every operation is synchronous, so
 * concurrent requests can never interleave inside one (a slot is consumed exactly once).
 */
import { createHash, randomInt, randomUUID, timingSafeEqual } from 'node:crypto';
import { canonicalJson } from './canonical-json';
import { newId } from './ids';
import { getOperation, knownFieldsOnly, LIFECYCLE, splitKnownFields, type Schemas } from '../../spec/contract';
import { iso } from './clock';
import { DomainError, validationFailed } from './errors';
import type { Job, SlotRecord, Store, TenantState } from './store';

export type AvailabilityRequest = Schemas['AvailabilityRequest'];
export type CreateJobRequest = Schemas['CreateJobRequest'];
export type JobState = Schemas['JobState'];
export type EventType = Schemas['EventType'];

export { LIFECYCLE };
const FINAL_STATES: ReadonlySet<JobState> = new Set(['CLIENT_RECEIVED', 'CANCELLED']);
const CODE_FROZEN_FROM = LIFECYCLE.indexOf('DELIVERING_STARTED');
const RESCHEDULE_UNTIL = LIFECYCLE.indexOf('GOING_TO_DESTINATION_STARTED');
const BACK_OFFICE_CONTACTLESS_COMMENTS = new Set(['LeaveInReception', 'LeaveAtTheDoor']);
const MAX_WINDOW_MS = 7 * 24 * 3600 * 1000;
const MAX_SLOTS_PER_ANSWER = 500;
/**
 * A tenant clock goes no further: every time derived from it (slot expiry, retries,
 * idempotency) must stay a four-digit-year date-time, and Date itself ends in year 275760.
 */
const CLOCK_LIMIT_MS = Date.UTC(9000, 0, 1);
const CREATE_BODY_POINTER = getOperation('createJob').requestBody!.pointer;
const AVAILABILITY_BODY_POINTER = getOperation('getAvailability').requestBody!.pointer;

export interface SandboxConfig {
  slotTtlSeconds: number;
  deliveryCodeAttempts: number;
  /** Jobs kept per tenant; finished ones are evicted oldest first, unfinished ones never. */
  maxJobsPerTenant: number;
  /** Slots kept per tenant; the oldest are forgotten first. */
  maxSlotsPerTenant: number;
  idempotencyTtlSeconds: number;
}

export const DEFAULT_SANDBOX_CONFIG: SandboxConfig = {
  slotTtlSeconds: 900,
  deliveryCodeAttempts: 5,
  maxJobsPerTenant: 10_000,
  maxSlotsPerTenant: 50_000,
  idempotencyTtlSeconds: 24 * 3600,
};

/**
 * One job event. `job` is the live job: a listener that keeps it must copy or serialize
 * it before returning.
 */
export interface JobEvent {
  id: string;
  type: EventType;
  created_at: string;
  client_id: string;
  job: Job;
}

export type EventListener = (tenant: TenantState, event: JobEvent) => void;

export interface CreateJobResult {
  status: 201;
  body: Schemas['CreateJobResponse'];
  headers: Record<string, string>;
  replayed: boolean;
}

/**
 * Internal steps a test may wrap at construction, to break one rule on purpose
 * (test/mutants); each wrapper gets the step as built and returns its replacement.
 * `lastmile serve` passes none.
 */
export interface SandboxStepWrappers {
  usableSlot?(original: (tenant: TenantState, slotId: string) => SlotRecord): (tenant: TenantState, slotId: string) => SlotRecord;
  checkDeliveryCode?(original: (job: Job, given: string | undefined) => void): (job: Job, given: string | undefined) => void;
  record?(original: (tenant: TenantState, job: Job, type: EventType, now: number, at?: string) => void): (tenant: TenantState, job: Job, type: EventType, now: number, at?: string) => void;
  isExpired?(original: (tenant: TenantState, record: SlotRecord) => boolean): (tenant: TenantState, record: SlotRecord) => boolean;
}

export class Sandbox {
  readonly config: SandboxConfig;
  private readonly listeners: EventListener[] = [];

  constructor(readonly store: Store, config: Partial<SandboxConfig> = {}, wrappers: SandboxStepWrappers = {}) {
    this.config = { ...DEFAULT_SANDBOX_CONFIG, ...config };
    if (wrappers.usableSlot) this.usableSlot = wrappers.usableSlot(this.usableSlot.bind(this));
    if (wrappers.checkDeliveryCode) this.checkDeliveryCode = wrappers.checkDeliveryCode(this.checkDeliveryCode.bind(this));
    if (wrappers.record) this.record = wrappers.record(this.record.bind(this));
    if (wrappers.isExpired) this.isExpired = wrappers.isExpired(this.isExpired.bind(this));
  }

  onEvent(listener: EventListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  tenant(key: string): TenantState {
    return this.store.tenant(key);
  }

  // ---- availability -------------------------------------------------------------------

  availability(key: string, request: AvailabilityRequest): Schemas['Slot'][] {
    const tenant = this.tenant(key);
    const start = Date.parse(request.start);
    const end = Date.parse(request.end);
    if (!(end > start)) throw validationFailed([{ location: 'body', param: 'end', value: request.end, msg: 'must be after start' }]);
    if (end - start > MAX_WINDOW_MS) throw validationFailed([{ location: 'body', param: 'end', value: request.end, msg: 'window must be at most 7 days' }]);
    const models = request.operational_models_priority?.length ? request.operational_models_priority : ['FULL_SERVICE' as const];
    const stepMs = request.slot_size * 60_000;
    const now = tenant.clock.now();
    const expiresAtMs = now + this.config.slotTtlSeconds * 1000;
    const quote = knownFieldsOnly(AVAILABILITY_BODY_POINTER, {
      origin: request.origin, destination: request.destination, job_items: request.job_items, currency_code: request.currency_code,
    });
    const store = { id: request.store_reference ?? 'store-default', name: request.origin.name };
    const slots: Schemas['Slot'][] = [];
    for (const operationalModel of models) {
      for (let fromMs = start; fromMs + stepMs <= end && slots.length < MAX_SLOTS_PER_ANSWER; fromMs += stepMs) {
        const record: SlotRecord = {
          id: newId('slt'), fromMs, toMs: fromMs + stepMs, operationalModel, store,
          expiresAtMs, originalExpiresAtMs: expiresAtMs, extended: false, usedByJobId: null, quote,
        };
        this.rememberSlot(tenant, record);
        slots.push(slotView(record));
      }
    }
    return slots;
  }

  private rememberSlot(tenant: TenantState, record: SlotRecord): void {
    while (tenant.slots.size >= this.config.maxSlotsPerTenant) {
      const oldest = tenant.slots.values().next().value;
      if (!oldest) break;
      tenant.slots.delete(oldest.id);
    }
    tenant.slots.set(record.id, record);
  }

  private slotRecord(tenant: TenantState, slotId: string): SlotRecord {
    const record = tenant.slots.get(slotId);
    if (!record) throw new DomainError('SLOT_NOT_FOUND', `Slot ${slotId} not found`);
    return record;
  }

  private isExpired(tenant: TenantState, record: SlotRecord): boolean {
    return tenant.clock.now() > record.expiresAtMs;
  }

  private slotCheck(tenant: TenantState, record: SlotRecord): Schemas['SlotCheck'] {
    const status = record.usedByJobId ? 'USED' : this.isExpired(tenant, record) ? 'EXPIRED' : 'AVAILABLE';
    return { slot_id: record.id, valid: status === 'AVAILABLE', status, expires_at: iso(record.expiresAtMs), extended: record.extended };
  }

  checkSlot(key: string, slotId: string): Schemas['SlotCheck'] {
    const tenant = this.tenant(key);
    return this.slotCheck(tenant, this.slotRecord(tenant, slotId));
  }

  extendSlot(key: string, slotId: string): Schemas['SlotCheck'] {
    const tenant = this.tenant(key);
    const record = this.slotRecord(tenant, slotId);
    if (record.usedByJobId) throw new DomainError('SLOT_ALREADY_USED', `Slot ${slotId} already has a job`);
    if (this.isExpired(tenant, record)) throw this.expired(record);
    record.expiresAtMs = record.originalExpiresAtMs + 3 * this.config.slotTtlSeconds * 1000;
    record.extended = true;
    return this.slotCheck(tenant, record);
  }

  private expired(record: SlotRecord): DomainError {
    return new DomainError('SLOT_EXPIRED', `Slot expired at ${iso(record.expiresAtMs)}; ask availability again`);
  }

  /** Checks that a slot can take a job, without taking it. */
  private usableSlot(tenant: TenantState, slotId: string): SlotRecord {
    const record = this.slotRecord(tenant, slotId);
    if (record.usedByJobId) throw new DomainError('SLOT_ALREADY_USED', `Slot ${slotId} already has a job`);
    if (this.isExpired(tenant, record)) throw this.expired(record);
    return record;
  }

  // ---- jobs ---------------------------------------------------------------------------

  createJob(key: string, request: CreateJobRequest, idempotencyKey?: string): CreateJobResult {
    const tenant = this.tenant(key);
    const now = tenant.clock.now();
    let fingerprint = '';
    if (idempotencyKey !== undefined) {
      fingerprint = createHash('sha256').update(canonicalJson(request)).digest('base64url');
      const previous = tenant.idempotency.get(idempotencyKey);
      if (previous && previous.expiresAtMs > now) {
        if (previous.fingerprint !== fingerprint) {
          throw new DomainError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used with another body');
        }
        return { status: 201, body: previous.body as Schemas['CreateJobResponse'], headers: previous.headers, replayed: true };
      }
    }
    const slot = this.usableSlot(tenant, request.slot_id);
    this.makeRoomForJob(tenant);

    const { known: { slot_id: _slotId, ...known }, unknown } = splitKnownFields(CREATE_BODY_POINTER, request);
    const warnings: Schemas['Warning'][] = unknown.map((param) => ({
      code: 'UNKNOWN_FIELD' as const, param, msg: 'Unknown field ignored',
    }));
    const contactlessComment = request.contact_less?.comment;
    if (contactlessComment !== undefined && !BACK_OFFICE_CONTACTLESS_COMMENTS.has(contactlessComment)) {
      warnings.push({ code: 'COMPATIBILITY', param: 'contact_less.comment', msg: 'Use LeaveInReception or LeaveAtTheDoor for full compatibility with the back office' });
    }
    if (request.payment_info.currency_code !== slot.quote.currency_code) {
      warnings.push({ code: 'COMPATIBILITY', param: 'payment_info.currency_code', msg: `The slot was quoted in ${slot.quote.currency_code}` });
    }

    const at = iso(now);
    const job: Job = {
      id: randomUUID(),
      state: 'CREATED',
      ...known,
      slot: jobSlot(slot),
      origin: slot.quote.origin,
      destination: slot.quote.destination,
      job_items: slot.quote.job_items,
      add_delivery_code: request.add_delivery_code === true,
      history: [],
      created_at: at,
      updated_at: at,
    };
    if (job.add_delivery_code) {
      job.delivery_code = drawDeliveryCode();
      job.delivery_code_attempts_remaining = this.config.deliveryCodeAttempts;
    }
    slot.usedByJobId = job.id;
    tenant.jobs.set(job.id, job);
    tenant.unfinishedJobs += 1;
    this.record(tenant, job, 'CREATED', now, at);

    const result: CreateJobResult = {
      status: 201,
      body: { message: 'Job created', job_id: job.id, warnings },
      headers: { Location: `/jobs/${job.id}` },
      replayed: false,
    };
    if (idempotencyKey !== undefined) {
      tenant.idempotency.set(idempotencyKey, {
        fingerprint, expiresAtMs: now + this.config.idempotencyTtlSeconds * 1000,
        status: result.status, body: result.body, headers: result.headers,
      });
    }
    return result;
  }

  private makeRoomForJob(tenant: TenantState): void {
    if (tenant.jobs.size < this.config.maxJobsPerTenant) return;
    for (const job of tenant.jobs.values()) {
      if (FINAL_STATES.has(job.state)) {
        tenant.jobs.delete(job.id);
        return;
      }
    }
    throw new DomainError('TENANT_FULL', `Tenant holds ${tenant.jobs.size} unfinished jobs, the most allowed; cancel some or reset`);
  }

  getJob(key: string, jobId: string): Job {
    const job = this.tenant(key).jobs.get(jobId);
    if (!job) throw new DomainError('JOB_NOT_FOUND', `Job ${jobId} not found`);
    return job;
  }

  listJobs(key: string, filter: { state?: JobState; limit?: number } = {}): Job[] {
    const limit = filter.limit ?? 100;
    const all = [...this.tenant(key).jobs.values()];
    const out: Job[] = [];
    for (let i = all.length - 1; i >= 0 && out.length < limit; i--) {
      if (!filter.state || all[i].state === filter.state) out.push(all[i]);
    }
    return out;
  }

  cancelJob(key: string, jobId: string, request: Schemas['CancelJobRequest'] = {}): Job {
    const tenant = this.tenant(key);
    const job = this.getJob(key, jobId);
    this.refuseIfFinal(job, 'be cancelled');
    job.state = 'CANCELLED';
    if (request.reason !== undefined) job.cancellation_reason = request.reason;
    tenant.unfinishedJobs -= 1;
    this.record(tenant, job, 'CANCELLED', tenant.clock.now());
    return job;
  }

  rescheduleJob(key: string, jobId: string, request: Schemas['RescheduleJobRequest']): Job {
    const tenant = this.tenant(key);
    const job = this.getJob(key, jobId);
    this.refuseIfFinal(job, 'be rescheduled');
    if (LIFECYCLE.indexOf(job.state) >= RESCHEDULE_UNTIL) {
      throw new DomainError('ILLEGAL_TRANSITION', `Job is ${job.state}; it can only be rescheduled before GOING_TO_DESTINATION_STARTED`);
    }
    const slot = this.usableSlot(tenant, request.slot_id);
    slot.usedByJobId = job.id;
    job.slot = jobSlot(slot);
    job.origin = slot.quote.origin;
    job.destination = slot.quote.destination;
    job.job_items = slot.quote.job_items;
    this.record(tenant, job, 'RESCHEDULED', tenant.clock.now());
    return job;
  }

  updateDeliveryCode(key: string, jobId: string, request: Schemas['UpdateDeliveryCodeRequest']): Job {
    const tenant = this.tenant(key);
    const job = this.getJob(key, jobId);
    if (!job.add_delivery_code) {
      throw new DomainError('DELIVERY_CODE_NOT_ENABLED', 'The job was created without add_delivery_code: true');
    }
    // A lock at the door would otherwise be final: the one update allowed from
    // DELIVERING_STARTED on is the one that lifts a lock.
    const unlocking = job.state === 'DELIVERING_STARTED' && job.delivery_code_attempts_remaining === 0;
    if (job.state === 'CANCELLED' || (LIFECYCLE.indexOf(job.state) >= CODE_FROZEN_FROM && !unlocking)) {
      throw new DomainError('DELIVERY_CODE_FROZEN', `Job is ${job.state}; the code can only change before DELIVERING_STARTED`);
    }
    job.delivery_code = request.delivery_code;
    job.delivery_code_attempts_remaining = this.config.deliveryCodeAttempts;
    job.updated_at = iso(tenant.clock.now());
    return job;
  }

  /** The sandbox driver: one step, or every step up to `to`, all or nothing. */
  advanceJob(key: string, jobId: string, request: Schemas['AdvanceJobRequest'] = {}): Job {
    const tenant = this.tenant(key);
    const job = this.getJob(key, jobId);
    this.refuseIfFinal(job, 'move');
    const current = LIFECYCLE.indexOf(job.state);
    const target = request.to === undefined ? current + 1 : LIFECYCLE.indexOf(request.to);
    if (target <= current) {
      throw new DomainError('ILLEGAL_TRANSITION', `Job is ${job.state}; it cannot move to ${request.to}`);
    }
    const steps = LIFECYCLE.slice(current + 1, target + 1);
    if (steps.includes('CLIENT_RECEIVED') && job.add_delivery_code) this.checkDeliveryCode(job, request.delivery_code);
    const now = tenant.clock.now();
    for (const step of steps) {
      job.state = step;
      if (step === 'CLIENT_RECEIVED') tenant.unfinishedJobs -= 1;
      this.record(tenant, job, step, now);
    }
    return job;
  }

  private checkDeliveryCode(job: Job, given: string | undefined): void {
    if ((job.delivery_code_attempts_remaining ?? 0) <= 0) {
      throw new DomainError('DELIVERY_CODE_LOCKED', 'Too many wrong delivery codes; update the code to unlock');
    }
    if (given === undefined) {
      throw validationFailed([{ location: 'body', param: 'delivery_code', msg: 'is required for the step to CLIENT_RECEIVED' }]);
    }
    if (!sameCode(given, job.delivery_code ?? '')) {
      job.delivery_code_attempts_remaining = (job.delivery_code_attempts_remaining ?? 1) - 1;
      throw new DomainError('INVALID_DELIVERY_CODE', 'Wrong delivery code', { attempts_remaining: job.delivery_code_attempts_remaining });
    }
  }

  /** Production's payment update: a whole new `payment_info`; PRICES_UPDATED too when the prices changed. */
  updatePaymentInfo(key: string, jobId: string, paymentInfo: Schemas['PaymentInfo']): Job {
    const tenant = this.tenant(key);
    const job = this.getJob(key, jobId);
    this.refuseIfFinal(job, 'change its payment');
    const next = knownFieldsOnly('#/components/schemas/PaymentInfo', paymentInfo);
    const pricesChanged = JSON.stringify(job.payment_info.prices) !== JSON.stringify(next.prices);
    job.payment_info = next;
    const now = tenant.clock.now();
    this.record(tenant, job, 'PAYMENT_UPDATED', now);
    if (pricesChanged) this.record(tenant, job, 'PRICES_UPDATED', now);
    return job;
  }

  /** Production's external data update: a full replace, allowed in any state. */
  replaceExternalData(key: string, jobId: string, externalData: Schemas['ExternalData']): Job {
    const tenant = this.tenant(key);
    const job = this.getJob(key, jobId);
    job.external_data = knownFieldsOnly('#/components/schemas/ExternalData', externalData);
    this.record(tenant, job, 'EXTERNAL_DATA_UPDATED', tenant.clock.now());
    return job;
  }

  updateRecipientInstructions(key: string, jobId: string, request: Schemas['RecipientInstructionsRequest']): Job {
    const tenant = this.tenant(key);
    const job = this.getJob(key, jobId);
    this.refuseIfFinal(job, 'change');
    // Only unknown fields: the recipient changed nothing, so nothing is recorded or sent.
    if (request.job_comment === undefined && request.contact_less === undefined) return job;
    if (request.job_comment !== undefined) job.job_comment = request.job_comment;
    if (request.contact_less !== undefined) job.contact_less = knownFieldsOnly('#/components/schemas/ContactLess', request.contact_less);
    this.record(tenant, job, 'JOB_COMMENT_UPDATED', tenant.clock.now());
    return job;
  }

  private refuseIfFinal(job: Job, what: string): void {
    if (FINAL_STATES.has(job.state)) throw new DomainError('ILLEGAL_TRANSITION', `Job is ${job.state}; it cannot ${what}`);
  }

  private record(tenant: TenantState, job: Job, type: EventType, now: number, at = iso(now)): void {
    job.history.push({ type, at });
    job.updated_at = at;
    const event: JobEvent = { id: newId('evt'), type, created_at: at, client_id: tenant.clientId, job };
    for (const listener of this.listeners) listener(tenant, event);
  }

  // ---- clock and reset ----------------------------------------------------------------

  clock(key: string): Schemas['Clock'] {
    const clock = this.tenant(key).clock;
    return { now: iso(clock.now()), offset_seconds: clock.offsetSeconds, frozen: clock.frozen };
  }

  /** The clock stands still until advanced or unfrozen; freezing twice changes nothing. */
  freezeClock(key: string): Schemas['Clock'] {
    this.tenant(key).clock.freeze();
    return this.clock(key);
  }

  unfreezeClock(key: string): Schemas['Clock'] {
    this.tenant(key).clock.unfreeze();
    return this.clock(key);
  }

  advanceClock(key: string, seconds: number): Schemas['Clock'] {
    const clock = this.tenant(key).clock;
    if (clock.now() + seconds * 1000 > CLOCK_LIMIT_MS) {
      throw validationFailed([{ location: 'body', param: 'seconds', value: seconds, msg: `would move the clock past ${iso(CLOCK_LIMIT_MS)}, where tenant clocks stop` }]);
    }
    clock.advance(seconds);
    return this.clock(key);
  }

  reset(key: string): void {
    this.store.drop(key);
  }
}

function jobSlot(record: SlotRecord): Job['slot'] {
  return { id: record.id, from: iso(record.fromMs), to: iso(record.toMs), operational_model: record.operationalModel, store: record.store };
}

function slotView(record: SlotRecord): Schemas['Slot'] {
  const from = iso(record.fromMs);
  const to = iso(record.toMs);
  return {
    id: record.id, from, to, operational_model: record.operationalModel,
    description: `${record.operationalModel} ${from.slice(11, 16)}-${to.slice(11, 16)} UTC`,
    expires_at: iso(record.expiresAtMs), store: record.store,
  };
}

function drawDeliveryCode(): string {
  return String(randomInt(0, 10_000)).padStart(4, '0');
}

function sameCode(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
