/**
 * The embedded store: every tenant in this process's memory. Each tenant's transactions
 * run one after another, so no transaction ever sees another's writes half done and none
 * ever needs to run again. Nothing can conflict, so a transaction writes slots, jobs,
 * idempotency records and endpoints straight into the tenant's maps and undoes them if its
 * function throws (server/store/direct-records.ts); deliveries, whose pending indexes are
 * kept at the commit, go through the shared write buffer.
 *
 * With `freezeRecords` (on in every test: jest sets LASTMILE_FREEZE_RECORDS), records are
 * frozen as they are written, so a domain that changed one in place, behind the store's
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
import { CommittedMap, DirectRecordSet } from './direct-records';
import { BufferedDeliverySet, BufferedRecordSet } from './write-buffer';

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
  /** The deliveries, as the transactions' write buffers read them. */
  readonly committedDeliveries: CommittedMap<DeliveryRecord>;
  /** Whether a transaction is running on this tenant; the others wait in `waiting`, in order. */
  busy: boolean;
  readonly waiting: Array<() => void>;
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

function freeze<T extends object>(record: T): T {
  const history = (record as { history?: unknown[] }).history;
  if (Array.isArray(history)) Object.freeze(history);
  return Object.freeze(record);
}

function apply<T extends { id: string }>(map: Map<string, T>, set: BufferedRecordSet<T>, keep: (record: T) => T): void {
  for (const id of set.deletes()) map.delete(id);
  for (const record of set.puts()) map.set(record.id, keep(record));
}

/**
 * One run of a transaction on a tenant. Each kind of record gets its set on first use: a
 * create touches three kinds of five, and the commit looks only at those.
 */
class MemoryTransaction implements Transaction {
  readonly tenantKey: string;
  readonly clientId: string;
  newClock: ClockState | null = null;
  callbacks: Array<() => void> | null = null;
  slotsSet?: DirectRecordSet<SlotRecord>;
  jobsSet?: DirectRecordSet<Job>;
  idempotencySet?: DirectRecordSet<IdempotencyRecord>;
  endpointsSet?: DirectRecordSet<EndpointRecord>;
  deliveriesBuffer?: BufferedDeliverySet;
  /** The direct sets made so far, for the commit and the undo. */
  private readonly direct: Array<DirectRecordSet<{ id: string }>> = [];
  /** What a written record becomes as kept: frozen under test, else itself. */
  private readonly keep: <T extends object>(record: T) => T;

  constructor(readonly tenant: MemoryTenant, readonly realNowMs: number, frozen: boolean) {
    this.tenantKey = tenant.key;
    this.clientId = tenant.clientId;
    this.keep = frozen ? freeze : (record) => record;
  }

  async clock(): Promise<ClockState> {
    return this.newClock ?? this.tenant.clock;
  }

  setClock(state: ClockState): void {
    this.newClock = state;
  }

  private directOn<T extends { id: string }>(map: Map<string, T>): DirectRecordSet<T> {
    const set = new DirectRecordSet(map, this.keep);
    this.direct.push(set as unknown as DirectRecordSet<{ id: string }>);
    return set;
  }

  get slots(): DirectRecordSet<SlotRecord> {
    return this.slotsSet ??= this.directOn(this.tenant.slots);
  }

  get jobs(): DirectRecordSet<Job> {
    return this.jobsSet ??= this.directOn(this.tenant.jobs);
  }

  get idempotency(): DirectRecordSet<IdempotencyRecord> {
    return this.idempotencySet ??= this.directOn(this.tenant.idempotency);
  }

  get endpoints(): DirectRecordSet<EndpointRecord> {
    return this.endpointsSet ??= this.directOn(this.tenant.endpoints);
  }

  get deliveries(): BufferedDeliverySet {
    const { tenant } = this;
    return this.deliveriesBuffer ??= new BufferedDeliverySet(tenant.committedDeliveries, async () => [...tenant.pending.values()],
      async (jobId) => [...(tenant.pendingByJob.get(jobId)?.values() ?? [])]);
  }

  afterCommit(callback: () => void): void {
    (this.callbacks ??= []).push(callback);
  }

  /** The writes take effect (the deletes, the clock and the buffered deliveries), then the callbacks run. */
  commit(): void {
    const { tenant } = this;
    if (this.newClock) tenant.clock = this.keep(this.newClock);
    for (const set of this.direct) set.commit();
    const deliveries = this.deliveriesBuffer;
    if (deliveries) {
      for (const id of deliveries.deletes()) forgetPending(tenant, id);
      apply(tenant.deliveries, deliveries, this.keep);
      for (const record of deliveries.puts()) {
        if (record.status === 'PENDING') rememberPending(tenant, tenant.deliveries.get(record.id)!);
        else forgetPending(tenant, record.id);
      }
    }
    if (this.callbacks) for (const callback of this.callbacks) callback();
  }

  /** The function threw: what it wrote straight into the tenant is undone. */
  rollback(): void {
    for (const set of this.direct) set.rollback();
  }
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
    return this.queue(tenant, fn);
  }

  /** Runs `fn` now when the tenant is idle, else once every transaction queued before it ended. */
  private queue<T>(tenant: MemoryTenant, fn: (tx: Transaction) => Promise<T>): Promise<T> {
    if (!tenant.busy) return this.run(tenant, fn);
    return new Promise<T>((resolve, reject) => {
      tenant.waiting.push(() => { this.run(tenant, fn).then(resolve, reject); });
    });
  }

  private async run<T>(tenant: MemoryTenant, fn: (tx: Transaction) => Promise<T>): Promise<T> {
    tenant.busy = true;
    try {
      const tx = new MemoryTransaction(tenant, this.realNow(), this.options.freezeRecords);
      let result: T;
      try {
        result = await fn(tx);
      } catch (error) {
        tx.rollback();
        throw error;
      }
      tx.commit();
      return result;
    } finally {
      const next = tenant.waiting.shift();
      if (next) next();
      else tenant.busy = false;
    }
  }

  private open(key: string): MemoryTenant {
    this.makeRoom();
    const slots = new Map<string, SlotRecord>();
    const jobs = new Map<string, Job>();
    const idempotency = new Map<string, IdempotencyRecord>();
    const endpoints = new Map<string, EndpointRecord>();
    const deliveries = new Map<string, DeliveryRecord>();
    const tenant: MemoryTenant = {
      key, clientId: clientIdFor(key), clock: RUNNING_CLOCK,
      slots, jobs, idempotency, endpoints, deliveries, pending: new Map(), pendingByJob: new Map(),
      committedDeliveries: new CommittedMap(deliveries),
      busy: false, waiting: [],
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
