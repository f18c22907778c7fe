/**
 * The record registry: every kind of record a tenant holds, and the whole store contract
 * over them. Both stores derive their maps, sets, keys and commits from RECORD_KINDS and
 * their transactions from RecordSetsByKind, so a new kind is its record type, one line in
 * its owner's record map (DomainRecords in server/domain/store.ts, WebhookRecords in
 * server/webhooks/records.ts, FaultRecords in server/faults/records.ts), and here the entry and the getter the compiler then asks for.
 */
import type { DomainRecords, Reads, RecordSet, RecordSets, TransactionCore, TransactOptions } from '../domain/store';
import type { TenantIds } from '../domain/tenants';
import type { FaultRecords } from '../faults/records';
import type { PendingDeliveries, WebhookRecords } from '../webhooks/records';

export interface Records extends DomainRecords, WebhookRecords, FaultRecords {}
export type Kind = keyof Records;

/** Every kind, with the part of the key a store files it under. */
export const RECORD_KINDS: { readonly [K in Kind]: { readonly part: K } } = {
  slots: { part: 'slots' },
  jobs: { part: 'jobs' },
  idempotency: { part: 'idempotency' },
  endpoints: { part: 'endpoints' },
  deliveries: { part: 'deliveries' },
  faults: { part: 'faults' },
};

export const KINDS: readonly Kind[] = Object.values(RECORD_KINDS).map((kind) => kind.part);

/**
 * Each kind's set as a property of a transaction (`tx.jobs`): a store's transaction
 * extends this and says how it makes the set of one kind.
 */
export abstract class RecordSetsByKind implements RecordSets<Records> {
  protected abstract setOf<K extends Kind>(kind: K): RecordSet<Records[K]>;
  get slots(): RecordSet<Records['slots']> {
    return this.setOf('slots');
  }
  get jobs(): RecordSet<Records['jobs']> {
    return this.setOf('jobs');
  }
  get idempotency(): RecordSet<Records['idempotency']> {
    return this.setOf('idempotency');
  }
  get endpoints(): RecordSet<Records['endpoints']> {
    return this.setOf('endpoints');
  }
  get deliveries(): RecordSet<Records['deliveries']> {
    return this.setOf('deliveries');
  }
  get faults(): RecordSet<Records['faults']> {
    return this.setOf('faults');
  }
}

/** One transaction on one tenant: every kind's set, and the index of pending deliveries. */
export type Transaction = TransactionCore & RecordSets<Records> & { readonly pendingDeliveries: PendingDeliveries };

/**
 * What a store tells whoever watches it from the composition root (the metrics, the outage
 * log). Every member is optional; the memory store, which makes no round trips, tells nothing.
 */
export interface StoreObserver {
  /** One round trip to the store's server was answered. */
  answered?(): void;
  /** One round trip failed: the server is unreachable or refused it. `cause` is one line (an error code). */
  failed?(cause: string): void;
  /** A commit found that something it read had changed since. */
  conflict?(): void;
  /** A transaction runs again (after a conflict, or after a refusal decided on stale reads). */
  rerun?(): void;
}

/**
 * Every method takes a tenant by its API key or its reference (server/domain/tenants.ts), and
 * names tenants by their references: a store keeps no API key.
 */
export interface Store {
  /** What it is, as readiness and the metrics name it: `memory` or `redis`. */
  readonly kind: string;
  /** Resolves once the store answers; rejects with StoreUnavailableError when it does not. */
  ping(): Promise<void>;
  /** How this store names tenants. */
  readonly tenants: TenantIds;
  /** Runs `fn` as one transaction on the tenant of this key, opening the tenant on first use. */
  transact<T>(tenantKey: string, fn: (tx: Transaction) => Promise<T>, options?: Reads<Records>): Promise<T>;
  transact<T>(
    tenantKey: string,
    fn: (tx: Transaction) => Promise<T>,
    options: TransactOptions<Records>,
  ): Promise<T | undefined>;
  /** Forgets the tenant entirely; the next use opens it afresh. */
  drop(tenantKey: string): Promise<void>;
  tenantKeys(): Promise<string[]>;
  /** Tenants holding at least one PENDING delivery. */
  tenantsWithPendingDeliveries(): Promise<string[]>;
  /** Tenants whose deliveries may be due now: at least every one with due work. */
  dueTenants(): Promise<string[]>;
  /** Called with the key of each tenant the store forgets (reset or eviction), after it is gone. */
  onDrop(listener: (tenantKey: string) => void): void;
  /** Whether other processes share this store (and so its deliveries and clocks). */
  readonly shared: boolean;
  close(): Promise<void>;
}
