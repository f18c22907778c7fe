/**
 * The shared store: every tenant in one Redis (or Valkey), or in a Redis Cluster, for any
 * number of processes.
 *
 * A transaction reads records with their versions, buffers its writes, and commits them
 * with one Lua script (server/store/redis-commit.ts) that first checks, on the server and
 * atomically, that nothing it read or overwrites changed since; otherwise the function runs
 * again. No process holds a lock: Redis decides. Keys (see README, "Run several
 * instances"): `<prefix>t:{<tenant hash>}:<part>`, one hash tag per tenant, each part
 * expiring `tenantTtl` after the tenant's last write.
 *
 * Two indexes span every tenant: `tenants` (tenant id → its last write, for the active
 * count) and `due` (see `indexDue`). On one Redis the commit script keeps them too. On a
 * cluster each script touches one tenant's slot only, so the store writes them in commands
 * of their own, around the commit: before it (a process killed between the commit and a
 * later index write loses nothing: the tenant is already filed, due now) and, for `due`,
 * again after it (see `indexAfterCommit`). The indexes may then lag or list a tenant too
 * early, never miss one.
 */
import type { RedisOptions } from 'ioredis';
import type { TimeSource } from '../domain/clock';
import { refOfId, TenantIds } from '../domain/tenants';
import { STORE_UNREACHABLE_MESSAGE, StoreUnavailableError, type Reads, type TransactOptions } from '../domain/store';
import { type Records, type Store, type StoreObserver, type Transaction } from './records';
import { COMMIT_SCRIPT, TENANT_PARTS } from './redis-commit';
import { isClusterUrl, redactedStoreUrl } from './redis-address';
import { RECONNECTING, redisClient, type RedisClient } from './redis-connection';
import {
  FIRST_READ_SCRIPT,
  PENDING_OF_JOB_SCRIPT,
  RedisTransaction,
  type CommitClient,
  type CommitPayload,
  type RedisCall,
} from './redis-transaction';

export interface RedisStoreOptions {
  url: string;
  /** Put before every key, to share one Redis with other applications. */
  prefix: string;
  /** A tenant with no write for this long expires. */
  tenantTtlSeconds: number;
  realNow?: TimeSource;
  /** How tenants are named in Redis (by the keyed hash of their API keys); default: under the built-in hash key. */
  tenants?: TenantIds;
  /**
   * A client of the caller's own (made with REDIS_CLIENT_OPTIONS, or wrapped to watch its
   * commands); the store connects it and closes it. Default: one made from `url`.
   */
  client?: RedisClient;
  /** Told of every round trip, conflict and re-run (the metrics and the outage log, from the composition root). */
  observer?: StoreObserver;
  /**
   * After a commit that may change what is due, how long the other instances leave the
   * tenant's deliveries to the instance that committed, before they look at them: it carries
   * them on at once (sends what is due, times what is not), and another takes over only if it
   * died, which an attempt's lease would make them wait for anyway. Default 0: they look at
   * once, each at every poll, which under a steady flow of deliveries is every tenant, every
   * poll, on every instance.
   */
  handOverMs?: number;
}

/** How the store's client behaves: a request never waits for Redis to come back; it is answered 503 at once. */
export const REDIS_CLIENT_OPTIONS: RedisOptions = {
  ...RECONNECTING,
  enableOfflineQueue: false,
  commandTimeout: 5000,
  // The commands of requests under way at once go to Redis in one write, not one write each
  // (one Redis only: a cluster client routes each command to its node itself).
  enableAutoPipelining: true,
};

/** How a tenant is named in Redis: its id (the keyed hash of its key), its reference, and the start of its keys. */
interface TenantNames {
  id: string;
  ref: string;
  base: string;
}

/** Tenants one look at the due-time index returns at most (the rest at the next look). */
const DUE_BATCH = 1000;
/** How many times a transaction runs before contention is answered as unavailability. */
const MAX_RUNS = 40;

export class RedisStore implements Store {
  readonly shared = true;
  readonly kind = 'redis';
  /** On a Redis Cluster: the indexes across tenants are written outside each tenant's commit. */
  readonly cluster: boolean;
  private readonly observer: StoreObserver;
  readonly tenants: TenantIds;
  private readonly redis: CommitClient;
  private readonly dropListeners: Array<(key: string) => void> = [];
  private readonly realNow: TimeSource;
  /** What every commit tells its script of the tenant's expiry (see server/store/redis-commit.ts). */
  private readonly expiry: { ttlMs: number; renewMs: number };
  /** The cause a refused connection gives (ECONNREFUSED, ENOTFOUND, a refused password). */
  private lastConnectionError: unknown = null;

  private constructor(readonly options: RedisStoreOptions) {
    this.realNow = options.realNow ?? Date.now;
    const ttlMs = options.tenantTtlSeconds * 1000;
    this.expiry = { ttlMs, renewMs: renewalOf(ttlMs) };
    this.observer = options.observer ?? {};
    this.tenants = options.tenants ?? new TenantIds();
    this.cluster = isClusterUrl(options.url);
    const redis = options.client ?? redisClient(options.url, REDIS_CLIENT_OPTIONS);
    // The tenant's meta key is named so that a cluster client sends the script to the tenant's slot.
    redis.defineCommand('lastmileCommit', { numberOfKeys: 1, lua: COMMIT_SCRIPT });
    redis.defineCommand('lastmileFirstRead', { numberOfKeys: 1, lua: FIRST_READ_SCRIPT });
    redis.defineCommand('lastmilePendingOfJob', { numberOfKeys: 1, lua: PENDING_OF_JOB_SCRIPT });
    // Errors reach each command's caller; the client itself must not crash the process.
    redis.on('error', (error) => {
      this.lastConnectionError = error;
    });
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
      throw new StoreUnavailableError(
        `cannot reach ${store.cluster ? 'the Redis Cluster' : 'Redis'} at ${redactedUrl(options.url)}: ${describe(store.lastConnectionError ?? error)}`,
      );
    }
    return store;
  }

  /** Runs one Redis call (the tests read Redis through it too), and turns a failure of Redis into StoreUnavailableError. */
  readonly call: RedisCall = async (command) => {
    let answer;
    try {
      answer = await command(this.redis);
    } catch (error) {
      this.observer.failed?.(describe(error));
      throw new StoreUnavailableError(STORE_UNREACHABLE_MESSAGE, { cause: error });
    }
    this.observer.answered?.();
    return answer;
  };

  async ping(): Promise<void> {
    await this.call((r) => r.ping());
  }

  /** The tenant's names in Redis, from one keyed hash of its key. */
  private names(tenantKey: string): TenantNames {
    const id = this.tenants.idOf(tenantKey);
    return { id, ref: refOfId(id), base: `${this.options.prefix}t:{${id.slice(0, 32)}}:` };
  }

  private get tenantsKey(): string {
    return `${this.options.prefix}tenants`;
  }

  /** The due-time index: tenant id → the real time its deliveries may next be due. */
  private get dueKey(): string {
    return `${this.options.prefix}due`;
  }

  transact<T>(key: string, fn: (tx: Transaction) => Promise<T>, options?: Reads<Records>): Promise<T>;
  transact<T>(
    key: string,
    fn: (tx: Transaction) => Promise<T>,
    options: TransactOptions<Records>,
  ): Promise<T | undefined>;
  async transact<T>(
    key: string,
    fn: (tx: Transaction) => Promise<T>,
    options: TransactOptions<Records> = {},
  ): Promise<T | undefined> {
    const tenant = this.names(key);
    for (let run = 1; ; run++) {
      const tx = new RedisTransaction(
        this.call,
        key,
        tenant.ref,
        tenant.base,
        this.realNow(),
        options.prefetch,
        options.pendingOfJobs,
      );
      if (options.existingOnly && run === 1 && !(await tx.tenantExists())) {
        // Expired or dropped: out of the due-time index, unless it came back meanwhile.
        await this.indexDue(tenant, null, null);
        return undefined;
      }
      let result: T;
      try {
        result = await fn(tx);
      } catch (error) {
        // A refusal decided on reads that no longer agree (one read before another writer
        // committed, one after) is not an answer: run again.
        if (
          error instanceof StoreUnavailableError ||
          tx.recordsRead() < 2 ||
          (await this.commit(tenant, tx.checkOnlyPayload()))
        )
          throw error;
        this.observer.conflict?.();
        await this.backOff(run);
        continue;
      }
      const payload = tx.commitPayload();
      if (!payload || (await this.commit(tenant, payload))) {
        if (payload) await this.indexAfterCommit(tenant, payload);
        const nextDue = tx.pendingDeliveries.nextDue;
        if (nextDue !== undefined && tx.dueVersion !== undefined) await this.indexDue(tenant, nextDue, tx.dueVersion);
        tx.committed();
        return result;
      }
      this.observer.conflict?.();
      await this.backOff(run);
    }
  }

  /** Whether the script committed (or, check-only, found every read still current). */
  private async commit(tenant: TenantNames, payload: CommitPayload): Promise<boolean> {
    const { base } = tenant;
    if (this.cluster && !payload.checkOnly) await this.indexBeforeCommit(tenant, payload);
    const now = this.realNow();
    // Each record's text goes as an argument of its own, after the payload (ARGV[1]).
    const texts: string[] = [];
    const puts = payload.puts.map(([kind, id, text]) => [kind, id, texts.push(text) + 1]);
    const committed = await this.call((r) =>
      r.lastmileCommit(
        `${base}meta`,
        JSON.stringify({
          ...payload,
          puts,
          base,
          tenant: tenant.id,
          now,
          dueAt: this.dueAfterCommit(now),
          ...this.expiry,
          // On a cluster these live in other slots: the script leaves them alone.
          ...(this.cluster ? {} : { tenants: this.tenantsKey, due: this.dueKey }),
        }),
        ...texts,
      ),
    );
    return committed === 1;
  }

  /** When the other instances look at a tenant whose commit may have changed what is due. */
  private dueAfterCommit(now = this.realNow()): number {
    return now + (this.options.handOverMs ?? 0);
  }

  /**
   * On a cluster, files the tenant in both indexes before its commit, as the script does on
   * one Redis: active now, and due (after the hand-over) if the commit may change what is due. Should the
   * commit then fail or write nothing due, the next look at the tenant files it correctly.
   */
  private async indexBeforeCommit({ id }: TenantNames, payload: CommitPayload): Promise<void> {
    const now = this.realNow();
    await Promise.all([
      this.call((r) => r.zadd(this.tenantsKey, 'GT', now, id)),
      payload.dueTouch ? this.call((r) => r.zadd(this.dueKey, 'LT', this.dueAfterCommit(now), id)) : undefined,
    ]);
  }

  /**
   * On a cluster, lowers the tenant's due time again once the commit is in: an `indexDue`
   * that raised it between the write before the commit and the commit itself checked `duev`
   * before the commit counted, so it could not tell (on one Redis the script does both at once).
   */
  private async indexAfterCommit({ id }: TenantNames, payload: CommitPayload): Promise<void> {
    if (!this.cluster || !payload.dueTouch) return;
    await this.call((r) => r.zadd(this.dueKey, 'LT', this.dueAfterCommit(), id));
  }

  private async backOff(run: number): Promise<void> {
    if (run >= MAX_RUNS) throw new StoreUnavailableError('The store is too busy with this tenant; retry after 1 s');
    // Whoever changed what this run read is done by now, or soon: wait a little, at random.
    await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(2 ** run, 50)));
    this.observer.rerun?.();
  }

  async drop(key: string): Promise<void> {
    const { base, id, ref } = this.names(key);
    if (this.cluster) {
      // The tenant's keys first: an index entry left behind by a failure here is dropped at its next look.
      await this.call((r) => r.del(...TENANT_PARTS.map((p) => base + p)));
      await Promise.all([this.call((r) => r.zrem(this.tenantsKey, id)), this.call((r) => r.zrem(this.dueKey, id))]);
    } else {
      await this.call((r) =>
        r
          .multi()
          .del(...TENANT_PARTS.map((p) => base + p))
          .zrem(this.tenantsKey, id)
          .zrem(this.dueKey, id)
          .exec(),
      );
    }
    for (const listener of this.dropListeners) listener(ref);
  }

  async tenantKeys(): Promise<string[]> {
    const since = this.realNow() - this.options.tenantTtlSeconds * 1000;
    return (await this.call((r) => r.zrangebyscore(this.tenantsKey, since, '+inf'))).map(refOfId);
  }

  /** Every tenant in the due-time index: each with pending deliveries is. */
  async tenantsWithPendingDeliveries(): Promise<string[]> {
    return (await this.call((r) => r.zrange(this.dueKey, '0', '-1'))).map(refOfId);
  }

  async dueTenants(): Promise<string[]> {
    const ids = await this.call((r) => r.zrangebyscore(this.dueKey, '-inf', this.realNow(), 'LIMIT', 0, DUE_BATCH));
    return ids.map(refOfId);
  }

  /**
   * Files the tenant under the real time its deliveries may next be due (none: out of the
   * index), as a transaction that read them all found. A commit that changed what is due
   * since that read (its count, `duev`, moved on) may have been overwritten here: the tenant
   * is then due now, so that the next look finds it. The write comes before the check, so
   * such a commit is either seen by the check or lowers the time itself, after the write.
   */
  private async indexDue({ id, base }: TenantNames, realMs: number | null, seenVersion: string | null): Promise<void> {
    const meta = `${base}meta`;
    const version = this.cluster
      ? // The index and the tenant are in different slots: write, then check, in that order.
        await this.call(async (r) => {
          await (realMs === null ? r.zrem(this.dueKey, id) : r.zadd(this.dueKey, realMs, id));
          return r.hget(meta, 'duev');
        })
      : await this.call(async (r) => {
          const write = realMs === null ? r.multi().zrem(this.dueKey, id) : r.multi().zadd(this.dueKey, realMs, id);
          const replies = await write.hget(meta, 'duev').exec();
          return replies?.[1]?.[1] as string | null;
        });
    if (version !== seenVersion) await this.call((r) => r.zadd(this.dueKey, 'LT', this.realNow(), id));
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

/**
 * How far past `--tenant-ttl` a tenant's keys are set to expire when their expiry is renewed,
 * which then waits that long: a tenant expires between `ttlMs` and `ttlMs` + this after its
 * last write, and a busy tenant's keys are renewed at most this often, not at every commit.
 */
export function renewalOf(ttlMs: number): number {
  return Math.min(Math.floor(ttlMs / 10), 3_600_000);
}

function describe(error: unknown): string {
  const e = error as { code?: string; message?: string };
  return (e?.code ?? e?.message ?? String(error)).split('\n')[0];
}

/** The URL without its password, fit for a log line or an error message. */
export function redactedUrl(raw: string): string {
  if (isClusterUrl(raw)) return redactedStoreUrl(raw);
  try {
    const url = new URL(raw);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return raw;
  }
}
