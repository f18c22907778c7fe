/**
 * Test-only: the same tests over each store. `storesOf(kind)` registers the hooks of one
 * describe block: for Redis it starts a redis-server of the block's own (for a Redis
 * Cluster, it takes the run's shared one); each store it opens gets a prefix of its own and
 * is closed after the test.
 */
import { randomUUID } from 'node:crypto';
import type { TimeSource } from '../../server/domain/clock';
import type { StoreLimits } from '../../server/domain/store';
import type { Store } from '../../server/store/records';
import { InMemoryStore } from '../../server/store/memory';
import { RedisStore } from '../../server/store/redis';
import { sharedRedisCluster, startRedis, type RunningRedis } from './redis-server';

export const STORE_KINDS = ['memory', 'redis'] as const;
/** The store contract's own suites also run on a Redis Cluster (the run's shared one: see sharedRedisCluster). */
export const STORE_KINDS_WITH_CLUSTER = [...STORE_KINDS, 'redis-cluster'] as const;
export type StoreKind = (typeof STORE_KINDS_WITH_CLUSTER)[number];

export interface StoresOfKind {
  open(realNow?: TimeSource, limits?: StoreLimits): Promise<Store>;
  /** What `startServer` takes to use this kind: `store` and `storePrefix`. */
  serverConfig(): { store: string; storePrefix: string };
}

export function storesOf(kind: StoreKind): StoresOfKind {
  let redis: RunningRedis | undefined;
  const opened: Store[] = [];
  beforeAll(async () => {
    if (kind === 'redis') redis = await startRedis();
    if (kind === 'redis-cluster') redis = await sharedRedisCluster();
  }, 30_000);
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()));
  });
  afterAll(async () => {
    await redis?.stop();
  });
  const prefix = () => `test-${randomUUID().slice(0, 8)}:`;
  return {
    async open(realNow = Date.now, limits) {
      const store =
        kind === 'memory'
          ? new InMemoryStore(realNow, limits, { freezeRecords: true })
          : await RedisStore.connect({ url: redis!.url, prefix: prefix(), tenantTtlSeconds: 3600, realNow });
      opened.push(store);
      return store;
    },
    serverConfig() {
      return kind === 'memory'
        ? { store: 'memory', storePrefix: 'lastmile:' }
        : { store: redis!.url, storePrefix: prefix() };
    },
  };
}
