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

export interface EventModel {
  jobId: string;
  type: string;
  states: JobState[];
  code: CodeModel;
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
}

export interface Model {
  tenants: TenantModel[];
}

export function newTenant(shared = false, foreignEndpoints = 0): TenantModel {
  return { slots: [], jobs: [], endpoints: [], foreignEndpoints, idempotency: new Map(), deliveries: [], shared };
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
