/**
 * The Redis store's due-time index: instances look only at tenants whose deliveries may be
 * due, at the cost of one round trip however many tenants wait on failing endpoints, and a
 * tenant filed under a later time by one transaction is never lost to a commit that raced it.
 */
import type { DeliveryRecord } from '../webhooks/records';
import { startRedis, type RunningRedis } from '../../test/support/redis-server';
import { countingClient } from '../../test/support/round-trips';
import { RedisStore } from './redis';

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
let redis: RunningRedis;
let realNow = 1_800_000_000_000;
let store: RedisStore;
let counting: ReturnType<typeof countingClient>;
beforeAll(async () => {
  redis = await startRedis();
  counting = countingClient(redis.url);
  store = await RedisStore.connect({
    url: redis.url,
    prefix: 'due:',
    tenantTtlSeconds: 3600 * 24,
    realNow: () => realNow,
    client: counting.client,
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
  const before = counting.roundTrips();
  expect(await store.dueTenants()).toEqual([]);
  expect(counting.roundTrips() - before).toBe(1);

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
