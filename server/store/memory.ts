/**
 * The embedded store: every tenant in this process's memory. Each tenant's transactions
 * run one after another, so no transaction ever sees another's writes half done and none
 * ever needs to run again.
 *
 * With `freezeRecords` (on in every test: jest sets LASTMILE_FREEZE_RECORDS), records are
 * frozen as they are committed, so a domain that changed one in place, behind the store's
 * back, fails loudly. `serve` leaves it off: a frozen record cannot share its hidden class
 * with the next one, which cost about 420 bytes per stored job and slower reads.
 */
import { clientIdFor } from '../domain/ids';
import { DomainError } from '../domain/errors';
import { RUNNING_CLOCK, type TimeSource } from '../domain/clock';
import {
  DEFAULT_STORE_LIMITS, type ClockState, type DeliveryRecord, type EndpointRecord, type IdempotencyRecord, type Job,
  type SlotRecord, type Store, type StoreLimits, type Transaction, type TransactOptions,
} from '../domain/store';
import { BufferedDeliverySet, BufferedRecordSet, type CommittedRecords } from './write-buffer';

interface MemoryTenant {
  readonly key: string;
  readonly clientId: string;
  clock: ClockState;
  readonly slots: Map<string, SlotRecord>;
  readonly jobs: Map<string, Job>;
  readonly idempotency: Map<string, IdempotencyRecord>;
  readonly endpoints: Map<string, EndpointRecord>;
  readonly deliveries: Map<string, DeliveryRecord>;
  /** PENDING deliveries, in the order each became pending. */
  readonly pending: Map<string, DeliveryRecord>;
  /** The same, by job: a job's chains are read on every attempt, and a tenant may have thousands pending. */
  readonly pendingByJob: Map<string, Map<string, DeliveryRecord>>;
  /** The last transaction queued on this tenant. */
  tail: Promise<unknown>;
}

/** How many of the least recently used tenants are looked at for an idle one. */
const EVICTION_SCAN = 64;

function rememberPending(tenant: MemoryTenant, record: DeliveryRecord): void {
  tenant.pending.set(record.id, record);
  let ofJob = tenant.pendingByJob.get(record.job_id);
  if (!ofJob) tenant.pendingByJob.set(record.job_id, ofJob = new Map());
  ofJob.set(record.id, record);
}

function forgetPending(tenant: MemoryTenant, id: string): void {
  const record = tenant.pending.get(id);
  if (!record) return;
  tenant.pending.delete(id);
  const ofJob = tenant.pendingByJob.get(record.job_id);
  ofJob?.delete(id);
  if (ofJob?.size === 0) tenant.pendingByJob.delete(record.job_id);
}

function committed<T extends { id: string }>(map: Map<string, T>): CommittedRecords<T> {
  return {
    get: async (id) => map.get(id),
    count: async () => map.size,
    knownToExist: (id) => map.has(id),
    async *list(order) {
      if (order === 'oldest') {
        yield* map.values();
        return;
      }
      const all = [...map.values()];
      for (let i = all.length - 1; i >= 0; i--) yield all[i];
    },
  };
}

function freeze<T extends object>(record: T): T {
  const history = (record as { history?: unknown[] }).history;
  if (Array.isArray(history)) Object.freeze(history);
  return Object.freeze(record);
}

function apply<T extends { id: string }>(map: Map<string, T>, set: BufferedRecordSet<T>, frozen: boolean): void {
  for (const id of set.deletes()) map.delete(id);
  for (const record of set.puts()) map.set(record.id, frozen ? freeze(record) : record);
}

export interface MemoryStoreOptions {
  /** Freeze every committed record, so that an in-place change throws. */
  freezeRecords: boolean;
}

export class InMemoryStore implements Store {
  readonly shared = false;
  /** Least recently used first. */
  private readonly byKey = new Map<string, MemoryTenant>();
  private readonly dropListeners: Array<(key: string) => void> = [];

  constructor(
    private readonly realNow: TimeSource = Date.now,
    private readonly limits: StoreLimits = DEFAULT_STORE_LIMITS,
    private readonly options: MemoryStoreOptions = { freezeRecords: process.env.LASTMILE_FREEZE_RECORDS === '1' },
  ) {}

  transact<T>(key: string, fn: (tx: Transaction) => Promise<T>): Promise<T>;
  transact<T>(key: string, fn: (tx: Transaction) => Promise<T>, options: TransactOptions): Promise<T | undefined>;
  transact<T>(key: string, fn: (tx: Transaction) => Promise<T>, options: TransactOptions = {}): Promise<T | undefined> {
    let tenant = this.byKey.get(key);
    if (!tenant && options.existingOnly) return Promise.resolve(undefined);
    if (tenant && !options.existingOnly) {
      this.byKey.delete(key);
      this.byKey.set(key, tenant);
    } else if (!tenant) {
      try {
        tenant = this.open(key);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    const target = tenant;
    const run = target.tail.then(() => this.run(target, fn));
    target.tail = run.catch(() => undefined);
    return run;
  }

  private async run<T>(tenant: MemoryTenant, fn: (tx: Transaction) => Promise<T>): Promise<T> {
    const slots = new BufferedRecordSet(committed(tenant.slots));
    const jobs = new BufferedRecordSet(committed(tenant.jobs));
    const idempotency = new BufferedRecordSet(committed(tenant.idempotency));
    const endpoints = new BufferedRecordSet(committed(tenant.endpoints));
    const deliveries = new BufferedDeliverySet(committed(tenant.deliveries), async () => [...tenant.pending.values()],
      async (jobId) => [...(tenant.pendingByJob.get(jobId)?.values() ?? [])]);
    let clock: ClockState | null = null;
    const callbacks: Array<() => void> = [];
    const tx: Transaction = {
      tenantKey: tenant.key,
      clientId: tenant.clientId,
      realNowMs: this.realNow(),
      clock: async () => clock ?? tenant.clock,
      setClock: (state) => { clock = state; },
      slots, jobs, idempotency, endpoints, deliveries,
      afterCommit: (callback) => { callbacks.push(callback); },
    };
    const result = await fn(tx);
    const frozen = this.options.freezeRecords;
    if (clock) tenant.clock = frozen ? Object.freeze(clock) : clock;
    apply(tenant.slots, slots, frozen);
    apply(tenant.jobs, jobs, frozen);
    apply(tenant.idempotency, idempotency, frozen);
    apply(tenant.endpoints, endpoints, frozen);
    for (const id of deliveries.deletes()) forgetPending(tenant, id);
    apply(tenant.deliveries, deliveries, frozen);
    for (const record of deliveries.puts()) {
      if (record.status === 'PENDING') rememberPending(tenant, tenant.deliveries.get(record.id)!);
      else forgetPending(tenant, record.id);
    }
    for (const callback of callbacks) callback();
    return result;
  }

  private open(key: string): MemoryTenant {
    this.makeRoom();
    const tenant: MemoryTenant = {
      key, clientId: clientIdFor(key), clock: RUNNING_CLOCK,
      slots: new Map(), jobs: new Map(), idempotency: new Map(), endpoints: new Map(), deliveries: new Map(), pending: new Map(), pendingByJob: new Map(),
      tail: Promise.resolve(),
    };
    this.byKey.set(key, tenant);
    return tenant;
  }

  /** Idle: no webhook delivery still pending, so forgetting it loses nothing in flight. */
  private makeRoom(): void {
    if (this.byKey.size < this.limits.maxTenants) return;
    let scanned = 0;
    for (const [key, tenant] of this.byKey) {
      if (tenant.pending.size === 0) {
        this.forget(key);
        return;
      }
      if (++scanned >= EVICTION_SCAN) break;
    }
    throw new DomainError('TENANT_FULL', `The sandbox holds ${this.byKey.size} tenants, the most allowed, and none is idle; try again later`);
  }

  private forget(key: string): void {
    if (!this.byKey.delete(key)) return;
    for (const listener of this.dropListeners) listener(key);
  }

  async drop(key: string): Promise<void> {
    this.forget(key);
  }

  async tenantKeys(): Promise<string[]> {
    return [...this.byKey.keys()];
  }

  async tenantsWithPendingDeliveries(): Promise<string[]> {
    return [...this.byKey.values()].filter((t) => t.pending.size > 0).map((t) => t.key);
  }

  onDrop(listener: (key: string) => void): void {
    this.dropListeners.push(listener);
  }

  async close(): Promise<void> {
    // Nothing to release: the tenants go with the process.
  }
}
