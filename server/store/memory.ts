/**
 * The embedded store: every tenant in this process's memory. Each tenant's transactions
 * run one after another, so no transaction ever sees another's writes half done and none
 * ever needs to run again. Nothing can conflict, so a transaction writes every kind of
 * record straight into the tenant's maps and undoes them if its function throws
 * (server/store/direct-records.ts); the pending indexes of deliveries follow at the commit.
 *
 * Its parts come from the record registry (server/store/records.ts): one map and one set
 * per kind.
 *
 * With `freezeRecords` (the tests turn it on), records are frozen as they are written, so a domain that changed one in place, behind the store's
 * back, fails loudly. `serve` leaves it off: a frozen record cannot share its hidden class
 * with the next one, which cost about 420 bytes per stored job and slower reads.
 */
import { clientIdFor } from '../domain/ids';
import { isTenantRef, TenantIds } from '../domain/tenants';
import { DomainError } from '../domain/errors';
import { RUNNING_CLOCK, type TimeSource } from '../domain/clock';
import {
  DEFAULT_STORE_LIMITS,
  type ClockState,
  type Reads,
  type StoreLimits,
  type TransactOptions,
} from '../domain/store';
import type { DeliveryRecord } from '../webhooks/records';
import { DirectRecordSet } from './direct-records';
import { KINDS, RecordSetsByKind, type Kind, type Records, type Store, type Transaction } from './records';
import { BufferedPendingDeliveries } from './write-buffer';

type RecordMaps<Q extends Kind = Kind> = { [K in Q]: Map<string, Records[K]> };

function recordMaps<Q extends Kind>(kinds: readonly Q[]): RecordMaps<Q> {
  const maps: Partial<RecordMaps<Q>> = {};
  for (const kind of kinds) maps[kind] = new Map();
  return maps as RecordMaps<Q>;
}

interface MemoryTenant {
  /** Its reference: the store keeps no API key. */
  readonly ref: string;
  /** Null when opened by reference (background work, which shows no account id). */
  readonly clientId: string | null;
  clock: ClockState;
  readonly records: RecordMaps;
  /** PENDING deliveries, in the order each became pending. */
  readonly pending: Map<string, DeliveryRecord>;
  /** The same, by job: a job's chains are read on every attempt, and a tenant may have thousands pending. */
  readonly pendingByJob: Map<string, Map<string, DeliveryRecord>>;
  /** Whether a transaction is running on this tenant; the others wait in `waiting`, in order. */
  busy: boolean;
  readonly waiting: Array<() => void>;
}

/** How many of the least recently used tenants are looked at for an idle one. */
const EVICTION_SCAN = 64;

function rememberPending(tenant: MemoryTenant, record: DeliveryRecord): void {
  tenant.pending.set(record.id, record);
  let ofJob = tenant.pendingByJob.get(record.job_id);
  if (!ofJob) tenant.pendingByJob.set(record.job_id, (ofJob = new Map<string, DeliveryRecord>()));
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

type DirectSets<Q extends Kind = Kind> = { [K in Q]?: DirectRecordSet<Records[K]> };

/**
 * One run of a transaction on a tenant. Each kind of record gets its set on first use: a
 * create touches three kinds of five, and the commit looks only at those.
 */
class MemoryTransaction extends RecordSetsByKind implements Transaction {
  readonly tenantKey: string;
  newClock: ClockState | null = null;
  callbacks: Array<() => void> | null = null;
  private readonly sets: DirectSets = {};
  /** The sets made so far, for the commit and the undo. */
  private readonly made: Array<{ commit(): void; rollback(): void }> = [];
  private pending?: BufferedPendingDeliveries;
  /** What a written record becomes as kept: frozen under test, else itself. */
  private readonly keep: <T extends object>(record: T) => T;

  constructor(
    readonly tenant: MemoryTenant,
    readonly realNowMs: number,
    frozen: boolean,
  ) {
    super();
    this.tenantKey = tenant.ref;
    this.keep = frozen ? freeze : (record) => record;
  }

  get clientId(): string {
    if (this.tenant.clientId === null) throw new Error('a tenant opened by reference has no account id');
    return this.tenant.clientId;
  }

  protected setOf<K extends Kind>(kind: K): DirectRecordSet<Records[K]> {
    const sets: DirectSets<K> = this.sets;
    let set = sets[kind];
    if (!set) {
      set = new DirectRecordSet<Records[K]>(this.tenant.records[kind], this.keep);
      sets[kind] = set;
      this.made.push(set);
    }
    return set;
  }

  get pendingDeliveries(): BufferedPendingDeliveries {
    const { tenant } = this;
    return (this.pending ??= new BufferedPendingDeliveries(
      this.setOf('deliveries'),
      async () => [...tenant.pending.values()],
      async (jobId) => [...(tenant.pendingByJob.get(jobId)?.values() ?? [])],
    ));
  }

  async clock(): Promise<ClockState> {
    return this.newClock ?? this.tenant.clock;
  }

  setClock(state: ClockState): void {
    this.newClock = state;
  }

  afterCommit(callback: () => void): void {
    (this.callbacks ??= []).push(callback);
  }

  /** The writes take effect (the deletes, the clock and the buffered deliveries), then the callbacks run. */
  commit(): void {
    const { tenant } = this;
    if (this.newClock) tenant.clock = this.keep(this.newClock);
    const deliveries = this.sets.deliveries;
    if (deliveries?.changed) {
      for (const id of deliveries.writtenIds()) {
        const record = deliveries.written(id);
        if (record?.status === 'PENDING') rememberPending(tenant, record);
        else forgetPending(tenant, id);
      }
    }
    for (const set of this.made) set.commit();
    if (this.callbacks) for (const callback of this.callbacks) callback();
  }

  /** The function threw: what it wrote straight into the tenant is undone. */
  rollback(): void {
    for (const set of this.made) set.rollback();
  }
}

export interface MemoryStoreOptions {
  /** Freeze every committed record, so that an in-place change throws. */
  freezeRecords: boolean;
  /** How tenants are named (by the keyed hash of their API keys); default: under the built-in hash key. */
  tenants?: TenantIds;
}

export class InMemoryStore implements Store {
  readonly shared = false;
  readonly kind = 'memory';
  readonly tenants: TenantIds;
  /** By tenant id, least recently used first. */
  private readonly byKey = new Map<string, MemoryTenant>();
  private readonly dropListeners: Array<(key: string) => void> = [];

  constructor(
    private readonly realNow: TimeSource = Date.now,
    private readonly limits: StoreLimits = DEFAULT_STORE_LIMITS,
    private readonly options: MemoryStoreOptions = { freezeRecords: false },
  ) {
    this.tenants = options.tenants ?? new TenantIds();
  }

  transact<T>(key: string, fn: (tx: Transaction) => Promise<T>, options?: Reads<Records>): Promise<T>;
  transact<T>(
    key: string,
    fn: (tx: Transaction) => Promise<T>,
    options: TransactOptions<Records>,
  ): Promise<T | undefined>;
  transact<T>(
    key: string,
    fn: (tx: Transaction) => Promise<T>,
    options: TransactOptions<Records> = {},
  ): Promise<T | undefined> {
    const id = this.tenants.idOf(key);
    let tenant = this.byKey.get(id);
    if (!tenant && options.existingOnly) return Promise.resolve(undefined);
    if (tenant && !options.existingOnly) {
      this.byKey.delete(id);
      this.byKey.set(id, tenant);
    } else if (!tenant) {
      try {
        tenant = this.open(key);
      } catch (error) {
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- open() throws DomainErrors, passed on as they are
        return Promise.reject(error);
      }
    }
    return this.queue(tenant, fn);
  }

  /** Runs `fn` now when the tenant is idle, else once every transaction queued before it ended. */
  private queue<T>(tenant: MemoryTenant, fn: (tx: Transaction) => Promise<T>): Promise<T> {
    if (!tenant.busy) return this.run(tenant, fn);
    return new Promise<T>((resolve, reject) => {
      tenant.waiting.push(() => {
        this.run(tenant, fn).then(resolve, reject);
      });
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
    const records = recordMaps(KINDS);
    const tenant: MemoryTenant = {
      ref: this.tenants.refOf(key),
      clientId: isTenantRef(key) ? null : clientIdFor(key),
      clock: RUNNING_CLOCK,
      records,
      pending: new Map(),
      pendingByJob: new Map(),
      busy: false,
      waiting: [],
    };
    this.byKey.set(this.tenants.idOf(key), tenant);
    return tenant;
  }

  /** Idle: no webhook delivery still pending, so forgetting it loses nothing in flight. */
  private makeRoom(): void {
    if (this.byKey.size < this.limits.maxTenants) return;
    let scanned = 0;
    for (const [id, tenant] of this.byKey) {
      if (tenant.pending.size === 0) {
        this.forget(id);
        return;
      }
      if (++scanned >= EVICTION_SCAN) break;
    }
    throw new DomainError(
      'TENANT_FULL',
      `The sandbox holds ${this.byKey.size} tenants, the most allowed, and none is idle; try again later`,
    );
  }

  private forget(id: string): void {
    const tenant = this.byKey.get(id);
    if (!tenant) return;
    this.byKey.delete(id);
    for (const listener of this.dropListeners) listener(tenant.ref);
  }

  async drop(key: string): Promise<void> {
    this.forget(this.tenants.idOf(key));
  }

  async tenantKeys(): Promise<string[]> {
    return [...this.byKey.values()].map((t) => t.ref);
  }

  async tenantsWithPendingDeliveries(): Promise<string[]> {
    return [...this.byKey.values()].filter((t) => t.pending.size > 0).map((t) => t.ref);
  }

  /** One process: its own timers find due work, so every tenant with pending deliveries is a candidate. */
  dueTenants(): Promise<string[]> {
    return this.tenantsWithPendingDeliveries();
  }

  onDrop(listener: (key: string) => void): void {
    this.dropListeners.push(listener);
  }

  /** Always answers: it is this process. */
  ping(): Promise<void> {
    return Promise.resolve();
  }

  async close(): Promise<void> {
    // Nothing to release: the tenants go with the process.
  }
}
