/**
 * The Redis store's due-time index: instances look only at tenants whose deliveries may be
 * due, at the cost of one round trip however many tenants wait on failing endpoints, and a
 * tenant filed under a later time by one transaction is never lost to a commit that raced it;
 * on one Redis and on a Redis Cluster (where the index is written outside the tenant's commit).
 */
import type { DeliveryRecord } from '../webhooks/records';
import { sharedRedisCluster, startRedis, type RunningRedis } from '../../test/support/redis-server';
import { countingClient } from '../../test/support/round-trips';
import { REDIS_CLIENT_OPTIONS, RedisStore } from './redis';
import { redisClient } from './redis-connection';
import type { CommitClient } from './redis-transaction';

function delivery(id: string, nextAttemptAtMs: number): DeliveryRecord {
  return {
    id,
    endpoint_id: 'whe_1',
    url: 'http://127.0.0.1:9/hook',
    event_id: `evt_${id}`,
    event_type: 'CREATED',
    job_id: 'job-a',
    status: 'PENDING',
    attempts: [],
    created_at: '2026-11-30T00:00:00.000Z',
    nextAttemptAtMs,
    payloadText: '{}',
    instaLeapSignature: 'sig',
    lease: null,
  };
}

const HOUR = 3_600_000;

describe.each(['redis', 'redis-cluster'] as const)('on %s', (kind) => {
  let redis: RunningRedis;
  let realNow = 1_800_000_000_000;
  let store: RedisStore;
  /** Round trips of the single Redis's client (a cluster's are not counted). */
  let counting: ReturnType<typeof countingClient> | undefined;
  beforeAll(async () => {
    redis = kind === 'redis' ? await startRedis() : await sharedRedisCluster();
    counting = kind === 'redis' ? countingClient(redis.url) : undefined;
    store = await RedisStore.connect({
      url: redis.url,
      prefix: 'due:',
      tenantTtlSeconds: 3600 * 24,
      realNow: () => realNow,
      client: counting?.client,
    });
  }, 30_000);
  afterAll(async () => {
    await store?.close();
    await redis?.stop();
  });

  /** What the outbox's look does: read every pending delivery, file the tenant under the next due time. */
  const fileUnder = (key: string, realMs: number | null, during?: () => Promise<unknown>) =>
    store.transact(key, async (tx) => {
      await tx.pendingDeliveries.all();
      await during?.();
      tx.pendingDeliveries.nextDueAt(realMs);
    });

  it('finds only tenants with due work, in one round trip, and loses none to a racing commit', async () => {
    const keys = Array.from({ length: 30 }, (_, i) => `failing-${i}`);
    const refs = keys.map((key) => store.tenants.refOf(key));
    for (const key of keys)
      await store.transact(key, (tx) => Promise.resolve(tx.deliveries.put(delivery('d1', realNow + HOUR))));
    // Just queued: due now, as far as the index knows.
    expect((await store.dueTenants()).sort()).toEqual([...refs].sort());

    for (const key of keys) await fileUnder(key, realNow + HOUR);
    const before = counting?.roundTrips();
    expect(await store.dueTenants()).toEqual([]);
    if (counting) expect(counting.roundTrips() - before!).toBe(1);

    // A commit that changes a delivery makes its tenant due again.
    await store.transact(keys[3], (tx) => Promise.resolve(tx.deliveries.put(delivery('d2', realNow + 2 * HOUR))));
    expect(await store.dueTenants()).toEqual([refs[3]]);
    await fileUnder(keys[3], realNow + HOUR);

    // A commit between a look's read and its filing: the tenant stays due.
    await fileUnder(keys[5], realNow + HOUR, () =>
      store.transact(keys[5], (tx) => Promise.resolve(tx.deliveries.put(delivery('d3', realNow)))),
    );
    expect(await store.dueTenants()).toEqual([refs[5]]);
    await fileUnder(keys[5], realNow + HOUR);
    expect(await store.dueTenants()).toEqual([]);

    // Time passes: each is found when due.
    realNow += HOUR;
    expect((await store.dueTenants()).length).toBe(30);
    // None left pending: out of the index, and so is a tenant that no longer exists.
    await store.transact(keys[0], (tx) => Promise.resolve(tx.deliveries.delete('d1')));
    await fileUnder(keys[0], null);
    await store.drop(keys[1]);
    expect(await store.dueTenants()).not.toContain(refs[0]);
    expect(await store.dueTenants()).not.toContain(refs[1]);
    expect(await store.transact(keys[1], () => Promise.resolve('ran'), { existingOnly: true })).toBeUndefined();
  });

  it('with a hand-over, leaves a tenant just committed to its instance for that long, then finds it', async () => {
    const handing = await RedisStore.connect({
      url: redis.url,
      prefix: 'due-handover:',
      tenantTtlSeconds: 3600,
      realNow: () => realNow,
      handOverMs: 7000,
    });
    try {
      await handing.transact('h', (tx) => Promise.resolve(tx.deliveries.put(delivery('d1', realNow))));
      expect(await handing.dueTenants()).toEqual([]);
      realNow += 6999;
      expect(await handing.dueTenants()).toEqual([]);
      realNow += 1;
      expect(await handing.dueTenants()).toEqual([handing.tenants.refOf('h')]);
      // A later time never replaces an earlier one: a look that filed it sooner keeps it sooner.
      await handing.transact('h', async (tx) => {
        await tx.pendingDeliveries.all();
        tx.pendingDeliveries.nextDueAt(realNow + 1000);
      });
      await handing.transact('h', (tx) => Promise.resolve(tx.deliveries.put(delivery('d2', realNow))));
      realNow += 1000;
      expect(await handing.dueTenants()).toEqual([handing.tenants.refOf('h')]);
    } finally {
      await handing.close();
    }
  });

  if (kind === 'redis-cluster') {
    it('on a cluster, filed due before each commit and again after it: neither a look in between nor a lost write loses a tenant', async () => {
      const client = redisClient(redis.url, REDIS_CLIENT_OPTIONS) as CommitClient;
      const own = await RedisStore.connect({
        url: redis.url,
        prefix: 'due-around:',
        tenantTtlSeconds: 3600,
        realNow: () => realNow,
        client,
      });
      const commit = client.lastmileCommit.bind(client);
      let beforeCommit: (() => Promise<unknown>) | undefined;
      let failAfterCommit = false;
      client.lastmileCommit = async (meta, payload, ...texts) => {
        const hook = beforeCommit;
        beforeCommit = undefined;
        await hook?.();
        const committed = await commit(meta, payload, ...texts);
        if (failAfterCommit) throw new Error('the process died here');
        return committed;
      };
      try {
        const fileOwn = (key: string, realMs: number) =>
          own.transact(key, async (tx) => {
            await tx.pendingDeliveries.all();
            tx.pendingDeliveries.nextDueAt(realMs);
          });
        await own.transact('a', (tx) => Promise.resolve(tx.deliveries.put(delivery('d1', realNow + HOUR))));
        await fileOwn('a', realNow + HOUR);
        expect(await own.dueTenants()).toEqual([]);
        // Another instance's look files the tenant later between the write before the commit and the commit.
        beforeCommit = () => fileOwn('a', realNow + HOUR);
        await own.transact('a', (tx) => Promise.resolve(tx.deliveries.put(delivery('d2', realNow))));
        expect(await own.dueTenants()).toEqual([own.tenants.refOf('a')]);

        await own.transact('b', (tx) => Promise.resolve(tx.deliveries.put(delivery('d1', realNow + HOUR))));
        await fileOwn('b', realNow + HOUR);
        failAfterCommit = true;
        await expect(
          own.transact('b', (tx) => Promise.resolve(tx.deliveries.put(delivery('d2', realNow)))),
        ).rejects.toThrow();
        failAfterCommit = false;
        // Committed, and due though nothing ran after the commit.
        expect(await own.transact('b', async (tx) => (await tx.pendingDeliveries.all()).map((d) => d.id))).toEqual([
          'd1',
          'd2',
        ]);
        expect((await own.dueTenants()).sort()).toEqual([own.tenants.refOf('a'), own.tenants.refOf('b')].sort());
        expect((await own.tenantKeys()).sort()).toEqual([own.tenants.refOf('a'), own.tenants.refOf('b')].sort());
      } finally {
        await own.close();
      }
    });
  }
});
