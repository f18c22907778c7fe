/**
 * Round trips to Redis per create-job: a count, not a timing. Each one is a wait on the
 * network for every request, so a change that adds one should be seen (3 today; the
 * target recorded in BENCHMARKS.md is 1).
 */
import { spec } from '../../spec/contract';
import { Sandbox } from '../domain/sandbox';
import { storesOf } from '../../test/support/stores';
import { Outbox } from '../webhooks/outbox';
import type { RedisStore } from './redis';

const stores = storesOf('redis');
const availability = { ...spec.components.examples.AvailabilityRequest.value, start: '2026-12-01T00:00:00Z', end: '2026-12-02T00:00:00Z', slot_size: 60 as const };
const order = spec.components.examples.CreateJobRequestMinimal.value;

it('a create-job costs 3 round trips, 4 with an Idempotency-Key', async () => {
  const store = (await stores.open()) as RedisStore;
  const sandbox = new Sandbox(store);
  // The outbox takes part in every create (it looks for endpoints to queue deliveries for).
  const outbox = new Outbox(sandbox);
  try {
    const slots = await sandbox.availability('rt', availability);
    const trips = async (idempotencyKey?: string) => {
      const before = store.roundTrips.count;
      await sandbox.createJob('rt', { ...order, slot_id: slots.pop()!.id }, idempotencyKey);
      return store.roundTrips.count - before;
    };
    expect(await trips()).toBe(3);
    expect(await trips('rt-key')).toBe(4);
  } finally {
    await outbox.shutdown(0);
  }
});
