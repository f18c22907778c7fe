/**
 * Round trips to Redis per create-job: a count, not a timing, made by the client the store
 * is given (test/support/round-trips.ts). Each one is a wait on the network for every
 * request, so a change that adds one should be seen (3 today; the target recorded in
 * docs/benchmarks.md is 1).
 */
import { spec } from '../../spec/contract';
import { Sandbox } from '../application/sandbox';
import { startRedis, type RunningRedis } from '../../test/support/redis-server';
import { countingClient } from '../../test/support/round-trips';
import { Outbox } from '../webhooks/outbox';
import { RedisStore } from './redis';

const availability = {
  ...spec.components.examples.AvailabilityRequest.value,
  start: '2026-12-01T00:00:00Z',
  end: '2026-12-02T00:00:00Z',
  slot_size: 60 as const,
};
const order = spec.components.examples.CreateJobRequestMinimal.value;

let redis: RunningRedis;
beforeAll(async () => {
  redis = await startRedis();
}, 30_000);
afterAll(async () => {
  await redis.stop();
});

it('a create-job costs 3 round trips, 4 with an Idempotency-Key', async () => {
  const counting = countingClient(redis.url);
  const store = await RedisStore.connect({
    url: redis.url,
    prefix: 'rt:',
    tenantTtlSeconds: 3600,
    client: counting.client,
  });
  // The outbox takes part in every create (it looks for endpoints to queue deliveries for).
  const outbox = new Outbox(store);
  const sandbox = new Sandbox(store, {}, { outbox });
  try {
    const slots = await sandbox.availability('rt', availability);
    const trips = async (idempotencyKey?: string) => {
      const before = counting.roundTrips();
      await sandbox.createJob('rt', { ...order, slot_id: slots.pop()!.id }, idempotencyKey);
      return counting.roundTrips() - before;
    };
    expect(await trips()).toBe(3);
    expect(await trips('rt-key')).toBe(4);
  } finally {
    await outbox.shutdown(0);
    await store.close();
  }
});
