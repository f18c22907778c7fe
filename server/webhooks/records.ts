/**
 * What the webhooks keep in the store: endpoints and deliveries (with the lease an
 * attempt is made under), and the part of a transaction and of the store they use.
 * The kinds are registered with the rest in server/store/records.ts.
 */
import type { Schemas } from '../../spec/contract';
import type { RecordSets, TransactionCore, TransactOptions } from '../domain/store';
import type { TenantIds } from '../domain/tenants';

/**
 * A relay endpoint's connection, as every instance sees it: which stream holds it (none
 * once it closed) and when that holder was last heard of, in real ms and on the tenant
 * clock (the grace period is counted on the tenant clock from then).
 */
export interface RelayRecord {
  holder: string | null;
  seenRealMs: number;
  seenAtMs: number;
}

/** A webhook endpoint as stored: the contract's shape, secret included; a relay endpoint keeps its connection. */
export type EndpointRecord = Omit<Schemas['WebhookEndpointWithSecret'], 'relay'> & { relay?: RelayRecord };

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

/** Every kind of record the webhooks keep, by the name a transaction gives its set. */
export interface WebhookRecords {
  endpoints: EndpointRecord;
  deliveries: DeliveryRecord;
}

/** The deliveries whose status is PENDING, as the store indexes them. */
export interface PendingDeliveries {
  /** Every one of the tenant, oldest first. */
  all(): Promise<DeliveryRecord[]>;
  /** One job's, oldest first: what its chains need, without reading every chain. */
  ofJob(jobId: string): Promise<DeliveryRecord[]>;
  /**
   * After reading `all()`: the real time (ms) at which any of them may next be due, or null
   * when none can be by itself (none left, or a frozen clock). A shared store indexes the
   * tenant by it once the transaction ends, so that instances look only at tenants with due work.
   */
  nextDueAt(realMs: number | null): void;
}

/** A transaction as the webhooks see it. */
export type WebhookTransaction = TransactionCore &
  RecordSets<WebhookRecords> & { readonly pendingDeliveries: PendingDeliveries };

/** The part of the store the outbox uses. */
export interface WebhookStore {
  /** How the store names tenants: the outbox schedules by reference, never by API key. */
  readonly tenants: TenantIds;
  transact<T>(tenantKey: string, fn: (tx: WebhookTransaction) => Promise<T>): Promise<T>;
  transact<T>(
    tenantKey: string,
    fn: (tx: WebhookTransaction) => Promise<T>,
    options: TransactOptions<WebhookRecords>,
  ): Promise<T | undefined>;
  /** Tenants holding at least one PENDING delivery. */
  tenantsWithPendingDeliveries(): Promise<string[]>;
  /** Tenants whose deliveries may be due now (a shared store's due-time index); at least those with due work. */
  dueTenants(): Promise<string[]>;
  /** Whether other processes share this store (and so its deliveries and clocks). */
  readonly shared: boolean;
}
