/**
 * What a tenant holds, as the explorer believes it, and the lifecycle facts the rules share.
 * The clock is the caller's: a rule is told what time the tenant's clock shows, and how sure
 * that reading is.
 */
import { FINAL_STATES, isSchema, LIFECYCLE, type Schemas } from '../../../spec/contract';

export { LIFECYCLE };
export type JobState = Schemas['JobState'];
export const FINAL: ReadonlySet<JobState> = new Set(FINAL_STATES);
export const stepIndex = (state: JobState | undefined) => LIFECYCLE.findIndex((step) => step === state);
/** Whether the spec takes this as a delivery code (its pattern, not a copy of it). */
export const isDeliveryCode = (code: unknown) => isSchema('UpdateDeliveryCodeRequest', { delivery_code: code });

export interface SlotModel {
  id: string;
  expiresAt: number;
  originalExpiresAt: number;
  heldAt: number;
  extended: boolean;
  usedBy?: string;
}
/** A job's delivery code as the explorer knows it: not enabled, or enabled and, once read, its value. */
export type CodeModel = { enabled: false } | { enabled: true; value?: string };
export const NO_CODE: CodeModel = { enabled: false };
/** The code a webhook must carry: none, or the value once read (unread, nothing can match it). */
export const codeValue = (code: CodeModel) => (code.enabled ? code.value : undefined);
/** Enabled, drawn by the implementation, and not read back yet. */
export const unread = (code: CodeModel) => code.enabled && code.value === undefined;

/**
 * A receiver's script, per endpoint: each event's first `failures` attempts are answered with
 * `fail` (Infinity: it never recovers), the next with `ok`.
 */
export interface ReceiverScript {
  failures: number;
  fail: 500 | 503 | 'redirect' | 'no answer';
  ok: 200 | 202 | 204;
}

/** One event's delivery to an endpoint whose receiver follows a script, as the model predicts its log entry. */
export interface DeliveryModel {
  /** Requests the receiver got for the event (automatic and manual). */
  requests: number;
  /** Attempts the log must list. */
  attempts: number;
  status: 'PENDING' | 'SUCCEEDED' | 'DEAD_LETTERED';
  /** Waiting behind an earlier delivery of its job to the same endpoint. */
  waiting: boolean;
  /** Failed with the schedule's length unknown yet: retried, or dead-lettered; the log says which. */
  unresolved: boolean;
  /** When the next attempt is due (read from the log), exact. */
  due?: bigint;
  id?: string;
  eventId?: string;
}

export interface EventModel {
  jobId: string;
  type: string;
  states: JobState[];
  code: CodeModel;
  /** At an endpoint with a scripted receiver: the delivery as the model predicts it. */
  delivery?: DeliveryModel;
}
export interface JobModel {
  id: string;
  slotId: string;
  state: JobState;
  code: CodeModel;
  /** Unknown (undefined) until the implementation first says it. */
  attemptsRemaining?: number;
  maxAttempts?: number;
  prices: Schemas['PaymentInfo']['prices'];
  /** Compared as a JSON value only. */
  externalData?: unknown;
  cancellationReason?: string;
}
export interface EndpointModel {
  id: string;
  inbox: number;
  live: boolean;
  expected: EventModel[];
  retried: string[];
  /** How its receiver answers; undefined: 200 to everything, judged at the inbox only. */
  script?: ReceiverScript;
}

/** The retry schedule as far as the answers have shown it (the contract leaves its length, waits and jitter configurable). */
export interface ScheduleModel {
  /** Attempts after which a delivery was dead-lettered. */
  maxAttempts?: number;
  /** The most attempts after which a delivery was still retried. */
  retriedAfter: number;
}
export interface IdempotentCreate {
  body: Schemas['CreateJobRequest'];
  jobId: string;
  at: number;
}

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
  schedule: ScheduleModel;
  /** Scripted endpoints wiped by a reset: the requests each event had got, which must not grow. */
  retired: Array<{ inbox: number; requests: Map<string, number> }>;
}

export interface Model {
  tenants: TenantModel[];
}

export function newTenant(shared = false, foreignEndpoints = 0): TenantModel {
  return {
    slots: [],
    jobs: [],
    endpoints: [],
    foreignEndpoints,
    idempotency: new Map(),
    deliveries: [],
    shared,
    schedule: { retriedAfter: 0 },
    retired: [],
  };
}

/**
 * What the tenant's clock shows now, give or take `slackMs` (0 when frozen). Instants are
 * epoch milliseconds with the fraction the implementation wrote kept (`epochMilliseconds`),
 * never `Date.parse`, which drops every digit past the millisecond.
 */
export interface Now {
  ms: number;
  slackMs: number;
}
export const past = (now: Now, t: number) => now.ms - now.slackMs > t;
export const surelyBefore = (now: Now, t: number) => now.ms + now.slackMs <= t;
