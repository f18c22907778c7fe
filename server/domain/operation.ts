/**
 * What every domain operation works with: one transaction on one tenant, read only, the
 * tenant's time read once at its start, and the sandbox's settings and policies. The
 * operation returns what happened (server/domain/outcome.ts): its answer, the records to
 * write and the job events, which the application layer (server/application/sandbox.ts)
 * writes and hands on in the same transaction.
 */
import { FINAL_STATES as SPEC_FINAL_STATES, LIFECYCLE, type Schemas } from '../../spec/contract';
import type { DomainError } from './errors';
import type { DomainReads, Job, SlotRecord } from './store';

export type JobState = Schemas['JobState'];
export type EventType = Schemas['EventType'];

export { LIFECYCLE };
export const FINAL_STATES: ReadonlySet<JobState> = new Set(SPEC_FINAL_STATES);

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

/** One job event; `job` is the job as stored right after it. */
export interface JobEvent {
  id: string;
  type: EventType;
  created_at: string;
  client_id: string;
  job: Job;
}

/** The outcome of checking a delivery code: the job after the check, and the refusal to answer when wrong. */
export interface DeliveryCodeVerdict {
  job: Job;
  refusal?: DomainError;
}

/**
 * The rules a sandbox may be started with in place of the contract's own: a demo where
 * slots never expire, say, or a stand-in that accepts any delivery code. The defaults
 * (server/domain/sandbox.ts) are the contract's.
 */
export interface SandboxPolicies {
  /** Whether the slot's hold has run out at `nowMs` on the tenant's clock. */
  slotExpired(record: SlotRecord, nowMs: number): boolean;
  /** Judges the code given for the step to CLIENT_RECEIVED; a wrong one costs an attempt, which is kept. */
  checkDeliveryCode(job: Job, given: string | undefined): DeliveryCodeVerdict;
}

export interface OperationContext {
  /** The tenant's records as they stand: the operation reads them, and returns its writes. */
  readonly tx: DomainReads;
  /** The tenant's clock at the start of the operation, in ms. */
  readonly now: number;
  readonly config: SandboxConfig;
  readonly policies: SandboxPolicies;
}
