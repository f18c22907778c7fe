/**
 * The shared store: every tenant in one Redis (or Valkey), for any number of processes.
 *
 * A transaction reads records with their versions, buffers its writes, and commits them
 * with one Lua script (server/store/redis-commit.ts) that first checks, on the server and
 * atomically, that nothing it read or overwrites changed since; otherwise the function runs
 * again. No process holds a lock: Redis decides. Keys (see README, "Run several
 * instances"): `<prefix>t:{<tenant hash>}:<part>`, one hash tag per tenant, each part
 * expiring `tenantTtl` after the tenant's last write.
 */
import { createHash } from 'node:crypto';
import Redis from 'ioredis';
import { RUNNING_CLOCK, type TimeSource } from '../domain/clock';
import { clientIdFor } from '../domain/ids';
import {
  StoreUnavailableError, type ClockState, type DeliveryRecord, type EndpointRecord, type IdempotencyRecord, type Job,
  type SlotRecord, type Store, type Transaction, type TransactOptions,
} from '../domain/store';
import { COMMIT_SCRIPT } from './redis-commit';
import { BufferedDeliverySet, BufferedRecordSet, type CommittedRecords } from './write-buffer';

export interface RedisStoreOptions {
  url: string;
  /** Put before every key, to share one Redis with other applications. */
  prefix: string;
  /** A tenant with no write for this long expires. */
  tenantTtlSeconds: number;
  realNow?: TimeSource;
}

const COLLECTIONS = ['slots', 'jobs', 'idempotency', 'endpoints', 'deliveries'] as const;
type Collection = (typeof COLLECTIONS)[number];
/** Every key of a tenant, after its base: each expires with the tenant. */
const TENANT_PARTS = ['meta', 'pending', ...COLLECTIONS.flatMap((c) => [c, `${c}:v`, `${c}:o`])];
/** How many times a transaction runs before contention is answered as unavailability. */
const MAX_RUNS = 40;
const LIST_BATCH = 200;

type CommitClient = Redis & { lastmileCommit(payload: string): Promise<number> };

/** What every command of a store counts: tests read it to know the round trips a request costs. */
export interface RoundTrips {
  count: number;
}

export class RedisStore implements Store {
  readonly shared = true;
  readonly roundTrips: RoundTrips = { count: 0 };
  private readonly redis: CommitClient;
  private readonly dropListeners: Array<(key: string) => void> = [];
  private readonly realNow: TimeSource;

  private constructor(readonly options: RedisStoreOptions) {
    this.realNow = options.realNow ?? Date.now;
    const redis = new Redis(options.url, {
      lazyConnect: true,
      // A request never waits for Redis to come back: it is answered 503 at once.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: 5000,
      retryStrategy: (times) => Math.min(times * 100, 1000),
    });
    redis.defineCommand('lastmileCommit', { numberOfKeys: 0, lua: COMMIT_SCRIPT });
    // Errors reach each command's caller; the client itself must not crash the process.
    redis.on('error', () => undefined);
    this.redis = redis as CommitClient;
  }

  /** Connects, or rejects with one line naming the cause (an unreachable Redis at start-up). */
  static async connect(options: RedisStoreOptions): Promise<RedisStore> {
    const store = new RedisStore(options);
    try {
      await store.redis.connect();
      await store.redis.ping();
    } catch (error) {
      store.redis.disconnect();
      throw new StoreUnavailableError(`cannot reach Redis at ${redactedUrl(options.url)}: ${describe(error)}`);
    }
    return store;
  }

  /** Runs one Redis call, counting it, and turns a failure of Redis into StoreUnavailableError. */
  async call<T>(command: (redis: CommitClient) => Promise<T>): Promise<T> {
    this.roundTrips.count += 1;
    try {
      return await command(this.redis);
    } catch (error) {
      throw new StoreUnavailableError(`the store is unavailable: ${describe(error)}`);
    }
  }

  base(tenantKey: string): string {
    const tenantHash = createHash('sha256').update(tenantKey).digest('hex').slice(0, 32);
    return `${this.options.prefix}t:{${tenantHash}}:`;
  }

  private get tenantsKey(): string {
    return `${this.options.prefix}tenants`;
  }

  private get pendingTenantsKey(): string {
    return `${this.options.prefix}pending-tenants`;
  }

  transact<T>(key: string, fn: (tx: Transaction) => Promise<T>): Promise<T>;
  transact<T>(key: string, fn: (tx: Transaction) => Promise<T>, options: TransactOptions): Promise<T | undefined>;
  async transact<T>(key: string, fn: (tx: Transaction) => Promise<T>, options: TransactOptions = {}): Promise<T | undefined> {
    const base = this.base(key);
    if (options.existingOnly && (await this.call((r) => r.exists(`${base}meta`))) === 0) return undefined;
    for (let run = 1; ; run++) {
      const tx = new RedisTransaction(this, key, base, this.realNow());
      const result = await fn(tx);
      const payload = tx.commitPayload();
      if (payload) {
        const committed = await this.call((r) => r.lastmileCommit(JSON.stringify({
          ...payload, base, tenantKey: key, now: this.realNow(), ttlMs: this.options.tenantTtlSeconds * 1000,
          parts: TENANT_PARTS, tenants: this.tenantsKey, pendingTenants: this.pendingTenantsKey,
        })));
        if (committed !== 1) {
          if (run >= MAX_RUNS) throw new StoreUnavailableError('the store is too busy with this tenant; try again');
          // Whoever changed what this run read is done by now, or soon: wait a little, at random.
          await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(2 ** run, 50)));
          continue;
        }
      }
      tx.committed();
      return result;
    }
  }

  async drop(key: string): Promise<void> {
    const base = this.base(key);
    await this.call((r) => r.multi().del(...TENANT_PARTS.map((p) => base + p)).zrem(this.tenantsKey, key).srem(this.pendingTenantsKey, key).exec());
    for (const listener of this.dropListeners) listener(key);
  }

  async tenantKeys(): Promise<string[]> {
    const since = this.realNow() - this.options.tenantTtlSeconds * 1000;
    return this.call((r) => r.zrangebyscore(this.tenantsKey, since, '+inf'));
  }

  async tenantsWithPendingDeliveries(): Promise<string[]> {
    return this.call((r) => r.smembers(this.pendingTenantsKey));
  }

  onDrop(listener: (key: string) => void): void {
    this.dropListeners.push(listener);
  }

  async close(): Promise<void> {
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }
}

interface Versioned<T> {
  record: T | undefined;
  version: number;
}

function parse<T>(text: string | null): T | undefined {
  return text === null ? undefined : (JSON.parse(text) as T);
}

/** Records of one collection as committed in Redis, remembering the version of each one read. */
class RedisRecords<T extends { id: string }> implements CommittedRecords<T> {
  /** Read with get: checked at commit. */
  readonly read = new Map<string, number>();
  /** Seen in a list: checked at commit only when written. */
  readonly seen = new Map<string, number>();

  constructor(private readonly store: RedisStore, private readonly key: string) {}

  async get(id: string): Promise<T | undefined> {
    const [text, version] = await this.store.call(async (r) => {
      const replies = await r.multi().hget(this.key, id).hget(`${this.key}:v`, id).exec();
      return [replies?.[0]?.[1] as string | null, Number(replies?.[1]?.[1] ?? 0)] as const;
    });
    this.read.set(id, version);
    return parse<T>(text);
  }

  knownToExist(id: string): boolean {
    return this.seen.has(id) || (this.read.get(id) ?? 0) > 0;
  }

  count(): Promise<number> {
    return this.store.call((r) => r.zcard(`${this.key}:o`));
  }

  async fetch(ids: string[]): Promise<T[]> {
    if (ids.length === 0) return [];
    const versioned = await this.store.call(async (r) => {
      const replies = await r.multi().hmget(this.key, ...ids).hmget(`${this.key}:v`, ...ids).exec();
      const texts = replies?.[0]?.[1] as Array<string | null>;
      const versions = replies?.[1]?.[1] as Array<string | null>;
      return ids.map((id, i): Versioned<T> => ({ record: parse<T>(texts[i]), version: Number(versions[i] ?? 0) }));
    });
    const out: T[] = [];
    for (const { record, version } of versioned) {
      if (!record) continue;
      this.seen.set(record.id, version);
      out.push(record);
    }
    return out;
  }

  async *list(order: 'oldest' | 'newest'): AsyncIterable<T> {
    for (let start = 0; ; start += LIST_BATCH) {
      const stop = start + LIST_BATCH - 1;
      const ids = await this.store.call((r) => (order === 'oldest' ? r.zrange(`${this.key}:o`, String(start), String(stop)) : r.zrange(`${this.key}:o`, String(start), String(stop), 'REV')));
      yield* await this.fetch(ids);
      if (ids.length < LIST_BATCH) return;
    }
  }

  /** [part, id, version] for each record whose change must abort the commit. */
  checks(part: string, written: Iterable<string>): Array<[string, string, number]> {
    const out: Array<[string, string, number]> = [];
    for (const [id, version] of this.read) out.push([`${part}:v`, id, version]);
    for (const id of written) {
      const version = this.seen.get(id);
      if (version !== undefined && !this.read.has(id)) out.push([`${part}:v`, id, version]);
    }
    return out;
  }
}

interface CommitPayload {
  checks: Array<[string, string, number]>;
  puts: Array<[string, string, string]>;
  dels: Array<[string, string]>;
  clock?: string;
  pendingAdd: string[];
  pendingDel: string[];
}

class RedisTransaction implements Transaction {
  readonly clientId: string;
  readonly slots: BufferedRecordSet<SlotRecord>;
  readonly jobs: BufferedRecordSet<Job>;
  readonly idempotency: BufferedRecordSet<IdempotencyRecord>;
  readonly endpoints: BufferedRecordSet<EndpointRecord>;
  readonly deliveries: BufferedDeliverySet;
  private readonly sources: Record<Collection, RedisRecords<{ id: string }>>;
  private clockRead: { state: ClockState; version: number } | null = null;
  private clockWritten: ClockState | null = null;
  private pendingVersion: number | null = null;
  private readonly callbacks: Array<() => void> = [];

  constructor(private readonly store: RedisStore, readonly tenantKey: string, private readonly base: string, readonly realNowMs: number) {
    this.clientId = clientIdFor(tenantKey);
    const source = <T extends { id: string }>(c: Collection) => new RedisRecords<T>(store, base + c);
    this.sources = Object.fromEntries(COLLECTIONS.map((c) => [c, source(c)])) as Record<Collection, RedisRecords<{ id: string }>>;
    this.slots = new BufferedRecordSet(this.sources.slots as never);
    this.jobs = new BufferedRecordSet(this.sources.jobs as never);
    this.idempotency = new BufferedRecordSet(this.sources.idempotency as never);
    this.endpoints = new BufferedRecordSet(this.sources.endpoints as never);
    const deliveries = this.sources.deliveries as unknown as RedisRecords<DeliveryRecord>;
    this.deliveries = new BufferedDeliverySet(deliveries, () => this.committedPending(deliveries));
  }

  private async committedPending(deliveries: RedisRecords<DeliveryRecord>): Promise<DeliveryRecord[]> {
    const [ids, version] = await this.store.call(async (r) => {
      const replies = await r.multi().zrange(`${this.base}pending`, '0', '-1').hget(`${this.base}meta`, 'pendingv').exec();
      return [replies?.[0]?.[1] as string[], Number(replies?.[1]?.[1] ?? 0)] as const;
    });
    this.pendingVersion ??= version;
    return deliveries.fetch(ids);
  }

  async clock(): Promise<ClockState> {
    if (this.clockWritten) return this.clockWritten;
    if (!this.clockRead) {
      const [text, version] = await this.store.call(async (r) => {
        const replies = await r.hmget(`${this.base}meta`, 'clock', 'clockv');
        return [replies[0], Number(replies[1] ?? 0)] as const;
      });
      this.clockRead = { state: parse<ClockState>(text) ?? RUNNING_CLOCK, version };
    }
    return this.clockRead.state;
  }

  setClock(state: ClockState): void {
    this.clockWritten = state;
  }

  afterCommit(callback: () => void): void {
    this.callbacks.push(callback);
  }

  committed(): void {
    for (const callback of this.callbacks) callback();
  }

  /** Null when the function wrote nothing: then there is nothing to commit or check. */
  commitPayload(): CommitPayload | null {
    const sets: Record<Collection, BufferedRecordSet<{ id: string }>> = {
      slots: this.slots, jobs: this.jobs, idempotency: this.idempotency, endpoints: this.endpoints, deliveries: this.deliveries as never,
    };
    const puts: CommitPayload['puts'] = [];
    const dels: CommitPayload['dels'] = [];
    const pendingAdd: string[] = [];
    const pendingDel: string[] = [];
    let checks: CommitPayload['checks'] = [];
    for (const c of COLLECTIONS) {
      const set = sets[c];
      for (const record of set.puts()) puts.push([c, record.id, JSON.stringify(record)]);
      for (const id of set.deletes()) dels.push([c, id]);
      checks = checks.concat(this.sources[c].checks(c, set.writes.keys()));
    }
    for (const record of this.deliveries.puts()) (record.status === 'PENDING' ? pendingAdd : pendingDel).push(record.id);
    pendingDel.push(...this.deliveries.deletes());
    if (puts.length === 0 && dels.length === 0 && !this.clockWritten) return null;
    if (this.clockRead) checks.push(['meta', 'clockv', this.clockRead.version]);
    if (this.pendingVersion !== null) checks.push(['meta', 'pendingv', this.pendingVersion]);
    const payload: CommitPayload = { checks, puts, dels, pendingAdd, pendingDel };
    if (this.clockWritten) payload.clock = JSON.stringify(this.clockWritten);
    return payload;
  }
}

function describe(error: unknown): string {
  const e = error as { code?: string; message?: string };
  return (e?.code ?? e?.message ?? String(error)).split('\n')[0];
}

/** The URL without its password, fit for a log line or an error message. */
export function redactedUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return raw;
  }
}
