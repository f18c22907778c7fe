/**
 * Round trips to Redis per create-job and per webhook delivery: a count, not a timing, made
 * by the client the store is given (test/support/round-trips.ts). Each one is a wait on the
 * network for every request, so a change that adds one should be seen. A create: one read
 * (a script: the clock, the counts, every endpoint and fault rule, the slot and the
 * idempotency record), then one commit; over HTTP too, the fault rules asked in the same
 * transaction. A delivery: one read (the tenant, the clock, the endpoints, the delivery,
 * its job's pending deliveries), then one commit, which settles it and takes the lease on
 * the next delivery of its chain.
 */
import { spec } from '../../spec/contract';
import { Sandbox } from '../application/sandbox';
import { startRedis, type RunningRedis } from '../../test/support/redis-server';
import { countingClient } from '../../test/support/round-trips';
import { Receiver } from '../../test/support/receiver';
import { Outbox } from '../webhooks/outbox';
import { startServer } from '../main';
import { RedisStore } from './redis';
import { closeClients, pubSubPair } from './redis-connection';
import type { Transaction } from './records';
import type { JobEvent } from '../domain/operation';

const availability = {
  ...spec.components.examples.AvailabilityRequest.value,
  start: '2026-12-01T00:00:00Z',
  end: '2026-12-02T00:00:00Z',
  slot_size: 60 as const,
};
const order = spec.components.examples.CreateJobRequestMinimal.value;
/** An advance to CLIENT_RECEIVED: the first read (the job and its pending deliveries with it), the commit. */
const ADVANCE_ROUND_TRIPS = 2;

let redis: RunningRedis;
beforeAll(async () => {
  redis = await startRedis();
}, 30_000);
afterAll(async () => {
  await redis.stop();
});

/** A store under `prefix` whose client counts its round trips. */
async function countedStore(prefix: string) {
  const counting = countingClient(redis.url);
  const store = await RedisStore.connect({ url: redis.url, prefix, tenantTtlSeconds: 3600, client: counting.client });
  return { counting, store };
}

it('a create-job costs 2 round trips, the Idempotency-Key and an endpoint included', async () => {
  const { counting, store } = await countedStore('rt:');
  // The outbox takes part in every create (it looks for endpoints to queue deliveries for);
  // its own background work (polling, sending) goes through a store of its own, not counted.
  const background = await RedisStore.connect({ url: redis.url, prefix: 'rt:', tenantTtlSeconds: 3600 });
  const outbox = new Outbox(background);
  // It queues in the create's commit; sending, after it, is background work, not counted here.
  const queueOnly = {
    enqueue: (tx: Transaction, events: readonly JobEvent[]) =>
      outbox.enqueue(
        new Proxy(tx, { get: (t, p) => (p === 'afterCommit' ? () => undefined : (Reflect.get(t, p) as unknown)) }),
        events,
      ),
    clockMoved: () => undefined,
  };
  const sandbox = new Sandbox(store, {}, { outbox: queueOnly });
  try {
    const slots = await sandbox.availability('rt', availability);
    let slotId = '';
    const trips = async (idempotencyKey?: string, replay = false) => {
      if (!replay) slotId = slots.pop()!.id;
      const before = counting.roundTrips();
      await sandbox.createJob('rt', { ...order, slot_id: slotId }, idempotencyKey);
      return counting.roundTrips() - before;
    };
    expect(await trips()).toBe(2);
    expect(await trips('rt-key')).toBe(2);
    // With an endpoint, the deliveries queued in the same commit cost no round trip of their own.
    await outbox.createEndpoint('rt', { url: 'http://127.0.0.1:9/hook' });
    expect(await trips()).toBe(2);
    expect(await store.transact('rt', async (tx) => (await tx.pendingDeliveries.all()).length)).toBe(1);
    expect(await trips('rt-key-2')).toBe(2);
    // A replay reads the same, and writes nothing.
    expect(await trips('rt-key-2', true)).toBe(1);
  } finally {
    await outbox.shutdown(0);
    await store.close();
    await background.close();
  }
});

it('over HTTP, a create-job costs 2 round trips as well: the fault rules are asked in its transaction', async () => {
  const { counting, store } = await countedStore('rt-http:');
  const server = await startServer({ port: 0 }, { store });
  const call = async (path: string, body: unknown, key = 'rt-http') => {
    const res = await fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  };
  try {
    const slots: Array<{ id: string }> = (await call('/jobs/availability/v2', availability)).body;
    /** The fewest round trips of three creates (the outbox's polls use the same client, at most one each 500 ms). */
    const trips = async (expected: number) => {
      const counts: number[] = [];
      for (let i = 0; i < 3; i++) {
        const before = counting.roundTrips();
        const res = await call('/jobs', { ...order, slot_id: slots.pop()!.id });
        expect(res.status).toBe(expected);
        counts.push(counting.roundTrips() - before);
      }
      return Math.min(...counts);
    };
    expect(await trips(201)).toBe(2);
    // A rule that does not apply, and one that fires after the create: its firing commits with the job.
    expect((await call('/sandbox/faults', { operations: ['getJob'], status: 500 })).status).toBe(201);
    expect(await trips(201)).toBe(2);
    expect((await call('/sandbox/faults', { operations: ['createJob'], phase: 'after', status: 502 })).status).toBe(
      201,
    );
    expect(await trips(502)).toBe(2);
    const jobs = await store.transact('rt-http', async (tx) => tx.jobs.count());
    expect(jobs).toBe(9);
  } finally {
    await server.close();
  }
});

it('a delivery costs 2 round trips: one transaction settles it and takes the next of its chain', async () => {
  const hook = await new Receiver().start();
  const { counting, store } = await countedStore('rt-chain:');
  // No poll within the test: every round trip counted is the chain's own.
  const outbox = new Outbox(store, { pollIntervalMs: 3_600_000 });
  const sandbox = new Sandbox(store, {}, { outbox });
  try {
    await outbox.createEndpoint('rt', { url: hook.url });
    const slots = await sandbox.availability('rt', availability);
    const { jobId } = await sandbox.createJob('rt', { ...order, slot_id: slots.pop()!.id });
    await outbox.idle();
    const before = counting.roundTrips();
    // One advance, eight events: the chain's head is taken once, then each outcome takes the next.
    await sandbox.advanceJob('rt', jobId, { to: 'CLIENT_RECEIVED' });
    await outbox.idle();
    const trips = counting.roundTrips() - before;
    const log = await outbox.listDeliveries('rt');
    expect(log.map((d) => d.status)).toEqual(Array(9).fill('SUCCEEDED'));
    // The head taken, then eight outcomes, seven of them taking the next: 2 each.
    expect(trips).toBe(ADVANCE_ROUND_TRIPS + 9 * 2);
  } finally {
    await outbox.shutdown(0);
    await store.close();
    await hook.stop();
  }
});

it('live events published at once go to Redis in one write, not one each', async () => {
  const { publisher, subscriber } = await pubSubPair(redis.url);
  try {
    const socket = (publisher as unknown as { stream: import('node:net').Socket }).stream;
    let writes = 0;
    const write = socket.write.bind(socket);
    socket.write = ((...args: Parameters<typeof socket.write>) => {
      writes += 1;
      return write(...args);
    }) as typeof socket.write;
    // As the commits answered in one read publish their events: all in the same turn.
    const receivers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => publisher.publish('rt-live', `event ${i}`)),
    );
    expect(receivers).toEqual(Array(20).fill(0));
    expect(writes).toBe(1);
  } finally {
    await closeClients(publisher, subscriber);
  }
});
