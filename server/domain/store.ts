/**
 * The store contract: what the domain asks of wherever tenant state lives.
 *
 * Every operation on a tenant runs as one transaction (`Store.transact`). Inside it, reads
 * return records as stored, which the domain treats as immutable (the in-memory store
 * freezes them); every change is a whole new record handed to `put`, buffered, and
 * committed at the end all at once or not at all. A transaction reads its own buffered
 * writes. When another writer changed a record this transaction read before it commits,
 * the store runs the function again from the start (a bounded number of times), so the
 * function must do nothing outside the transaction but through `afterCommit`.
 *
 * Two implementations keep it: server/store/memory.ts (one process: each tenant's
 * transactions run one after another) and server/store/redis.ts (any number of processes:
 * versions checked and writes applied in one script).
 */
import type { Schemas } from '../../spec/contract';

export type Job = Schemas['Job'];
export type Slot = Schemas['Slot'];

/** What a slot remembers of the availability request it answered. */
export type Quote = Pick<Schemas['AvailabilityRequest'], 'origin' | 'destination' | 'job_items' | 'currency_code'>;

/** Kept as numbers: tenants hold many slots, so each must be small. */
export interface SlotRecord {
  id: string;
  fromMs: number;
  toMs: number;
  operationalModel: Slot['operational_model'];
  store: Slot['store'];
  expiresAtMs: number;
  originalExpiresAtMs: number;
  extended: boolean;
  usedByJobId: string | null;
  quote: Quote;
}

/** The first answer to a create with an Idempotency-Key, as the domain gave it. */
export interface IdempotencyRecord {
  /** The Idempotency-Key itself. */
  id: string;
  fingerprint: string;
  expiresAtMs: number;
  jobId: string;
  response: Schemas['CreateJobResponse'];
}

/** A webhook endpoint as stored: the contract's shape, secret included. */
export type EndpointRecord = Schemas['WebhookEndpointWithSecret'];

/** Who is attempting a delivery, until when; past either bound another may take it over. */
export interface DeliveryLease {
  owner: string;
  /** Unique per attempt: an outcome counts only while its lease is the one stored. */
  token: string;
  untilRealMs: number;
  untilTenantMs: number;
}

/**
 * A delivery as stored: the contract's `WebhookDelivery`, with the next attempt as a number
 * on the tenant clock and the payload kept as the exact text sent rather than re-parsed.
 */
export type DeliveryRecord = Omit<Schemas['WebhookDelivery'], 'next_attempt_at' | 'payload' | 'waiting_for'> & {
  nextAttemptAtMs: number | null;
  /** The exact bytes sent, the same on every attempt. */
  payloadText: string;
  /** Production's signature covers only id, created_at and type, so it never changes. */
  instaLeapSignature: string;
  /** A finished delivery sent again by hand: pending, but in no chain, waiting for nothing. */
  outsideChain?: boolean;
  lease: DeliveryLease | null;
};

/** A tenant's clock as stored; server/domain/clock.ts reads the time from it. */
export interface ClockState {
  offsetMs: number;
  /** The instant the clock stands at while frozen; null while it runs. */
  frozenAtMs: number | null;
}

/** One kind of record of one tenant, in the order each was first put (oldest first). */
export interface RecordSet<T extends { id: string }> {
  get(id: string): Promise<T | undefined>;
  /** Buffers a whole record; an existing one keeps its place in the order. */
  put(record: T): void;
  delete(id: string): void;
  count(): Promise<number>;
  list(order: 'oldest' | 'newest'): AsyncIterable<T>;
}

export interface DeliveryRecordSet extends RecordSet<DeliveryRecord> {
  /** Deliveries whose status is PENDING, oldest first. */
  pending(): Promise<DeliveryRecord[]>;
  /** The PENDING deliveries of one job, oldest first: what its chains need, without reading every chain. */
  pendingOfJob(jobId: string): Promise<DeliveryRecord[]>;
}

export interface Transaction {
  readonly tenantKey: string;
  /** The account id shown in webhook payloads. */
  readonly clientId: string;
  /** Real time when the transaction (or its latest run) started. */
  readonly realNowMs: number;
  clock(): Promise<ClockState>;
  setClock(state: ClockState): void;
  readonly slots: RecordSet<SlotRecord>;
  readonly jobs: RecordSet<Job>;
  readonly idempotency: RecordSet<IdempotencyRecord>;
  readonly endpoints: RecordSet<EndpointRecord>;
  readonly deliveries: DeliveryRecordSet;
  /** Runs once the writes are committed; forgotten when the function runs again. */
  afterCommit(callback: () => void): void;
}

export interface TransactOptions {
  /** Only an existing tenant: when there is none, the function is not run and the result is undefined. */
  existingOnly?: boolean;
}

export interface Store {
  /** Runs `fn` as one transaction on the tenant of this key, opening the tenant on first use. */
  transact<T>(tenantKey: string, fn: (tx: Transaction) => Promise<T>): Promise<T>;
  transact<T>(tenantKey: string, fn: (tx: Transaction) => Promise<T>, options: TransactOptions): Promise<T | undefined>;
  /** Forgets the tenant entirely; the next use opens it afresh. */
  drop(tenantKey: string): Promise<void>;
  tenantKeys(): Promise<string[]>;
  /** Tenants holding at least one PENDING delivery. */
  tenantsWithPendingDeliveries(): Promise<string[]>;
  /** Called with the key of each tenant the store forgets (reset or eviction), after it is gone. */
  onDrop(listener: (tenantKey: string) => void): void;
  /** Whether other processes share this store (and so its deliveries and clocks). */
  readonly shared: boolean;
  close(): Promise<void>;
}

export interface StoreLimits {
  /**
   * Tenants kept at once. Any non-empty key opens a tenant, so without a bound a stranger
   * could fill memory; when full, opening one evicts the least recently used idle tenant.
   */
  maxTenants: number;
}

export const DEFAULT_STORE_LIMITS: StoreLimits = { maxTenants: 10_000 };

/**
 * The store cannot answer now (a shared store unreachable, or too busy with one tenant):
 * nothing was written, and the same request may succeed later.
 */
export class StoreUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreUnavailableError';
  }
}
