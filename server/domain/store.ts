/**
 * The store contract as the domain sees it: its records and one transaction on a tenant,
 * which the domain reads (DomainReads) and the application layer writes.
 * The whole contract (every kind of record, the Store itself) is server/store/records.ts.
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

/** A tenant's clock as stored; server/domain/clock.ts reads the time from it. */
export interface ClockState {
  offsetMs: number;
  /** The instant the clock stands at while frozen; null while it runs. */
  frozenAtMs: number | null;
}

/** One kind of record of one tenant, as read: in the order each was first put (oldest first). */
export interface RecordReader<T extends { id: string }> {
  get(id: string): Promise<T | undefined>;
  count(): Promise<number>;
  list(order: 'oldest' | 'newest'): AsyncIterable<T>;
}

/** One kind of record of one tenant, read and written. */
export interface RecordSet<T extends { id: string }> extends RecordReader<T> {
  /** Buffers a whole record; an existing one keeps its place in the order. */
  put(record: T): void;
  delete(id: string): void;
}

/** Every kind of record the domain keeps, by the name a transaction gives its set (see server/store/records.ts). */
export interface DomainRecords {
  slots: SlotRecord;
  jobs: Job;
  idempotency: IdempotencyRecord;
}

/** One set per kind of record. */
export type RecordSets<R extends { [K in keyof R]: { id: string } }> = { readonly [K in keyof R]: RecordSet<R[K]> };

/** What every transaction has, whatever records it holds. */
export interface TransactionCore {
  /** The tenant's reference (server/domain/tenants.ts): never its API key. */
  readonly tenantKey: string;
  /** The account id shown in webhook payloads. */
  readonly clientId: string;
  /** Real time when the transaction (or its latest run) started. */
  readonly realNowMs: number;
  clock(): Promise<ClockState>;
  setClock(state: ClockState): void;
  /** Runs once the writes are committed; forgotten when the function runs again. */
  afterCommit(callback: () => void): void;
}

/**
 * A transaction as the domain sees it: its own records, read only. The domain never writes:
 * it returns what to write (server/domain/outcome.ts), and the application layer writes it.
 */
export type DomainReads = Pick<TransactionCore, 'tenantKey' | 'clientId' | 'realNowMs' | 'clock'> & {
  readonly [K in keyof DomainRecords]: RecordReader<DomainRecords[K]>;
};

export interface TransactOptions<R = DomainRecords> {
  /** Only an existing tenant: when there is none, the function is not run and the result is undefined. */
  existingOnly?: boolean;
  /** Records the function is about to read: a shared store fetches them with its first read, in one round trip. */
  prefetch?: Prefetch<R>;
  /** Jobs whose pending deliveries the function is about to read: a shared store reads them with its first read too. */
  pendingOfJobs?: readonly string[];
}

/** What a transaction will read, named up front, on a tenant it may open. */
export type Reads<R = DomainRecords> = Omit<TransactOptions<R>, 'existingOnly'>;

/** Ids of records a transaction will read, by kind (of the domain's records, or of a store's: R). */
export type Prefetch<R = DomainRecords> = { readonly [K in keyof R]?: readonly string[] };

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
/** What a request is told while the store cannot be reached: ours, never a client library's words. */
export const STORE_UNREACHABLE_MESSAGE = 'The store is unreachable; retry after 1 s';

export class StoreUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}
