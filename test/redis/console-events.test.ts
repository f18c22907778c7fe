/**
 * With the Redis store, a console page connected to one instance sees live what another
 * instance did: job events and delivery updates, still only its own tenant's. A stream ticket
 * is kept in Redis, so any instance redeems it, once.
 */
import Redis from 'ioredis';
import { startServer, type RunningServer } from '../../server/main';
import { TestApi } from '../support/harness';
import { Receiver } from '../support/receiver';
import { startRedis, type RunningRedis } from '../support/redis-server';
import { openEventStream, type OpenStream } from '../support/sse';

let redis: RunningRedis;
let instances: RunningServer[] = [];
let hook: Receiver;

beforeAll(async () => {
  redis = await startRedis();
  instances = await Promise.all(
    [0, 1, 2].map(() =>
      startServer({ port: 0, host: '127.0.0.1', logLevel: 'silent', store: redis.url, storePrefix: 'live:' }),
    ),
  );
  hook = await new Receiver().start();
}, 60_000);

afterAll(async () => {
  await Promise.all(instances.map((i) => i.close()));
  await hook?.stop();
  await redis?.stop();
}, 60_000);

function openStream(server: RunningServer, ticket: string): Promise<OpenStream> {
  return openEventStream(`${server.url}/console/events?ticket=${encodeURIComponent(ticket)}`, { firstChunk: true });
}

async function until(condition: () => boolean): Promise<void> {
  for (let look = 0; look < 300 && !condition(); look++) await new Promise((r) => setTimeout(r, 20));
  expect(condition()).toBe(true);
}

it('a stream on one instance carries the job events and delivery updates made through another, of its tenant only', async () => {
  const [watched, other] = instances;
  const ticket = await fetch(`${watched.url}/console/stream-tickets`, {
    method: 'POST',
    headers: { 'x-api-key': 'live-a' },
  }).then((r) => r.json());
  const stream = await openStream(watched, ticket.ticket);
  try {
    const mine = new TestApi(other, 'live-a');
    expect((await mine.post('/sandbox/webhook-endpoints', { url: hook.url })).status).toBe(201);
    await new TestApi(other, 'live-b').createJob();
    const { id } = await mine.createJob();
    await mine.post(`/sandbox/jobs/${id}/advance`);
    await until(
      () =>
        stream.events.filter((e) => e.event === 'job').length >= 2 &&
        stream.events.some((e) => e.event === 'delivery' && e.data.status === 'SUCCEEDED'),
    );
    expect(stream.events.filter((e) => e.event === 'job').map((e) => e.data)).toEqual([
      { type: 'CREATED', job_id: id, state: 'CREATED' },
      { type: 'PICKING_STARTED', job_id: id, state: 'PICKING_STARTED' },
    ]);
    expect(new Set(stream.events.filter((e) => e.event === 'delivery').map((e) => e.data.job_id))).toEqual(
      new Set([id]),
    );
  } finally {
    stream.close();
  }
}, 60_000);

async function ticketFrom(server: RunningServer, key: string): Promise<string> {
  const res = await fetch(`${server.url}/console/stream-tickets`, { method: 'POST', headers: { 'x-api-key': key } });
  expect(res.status).toBe(201);
  return ((await res.json()) as { ticket: string }).ticket;
}

it('a ticket issued by one instance opens a stream on another, once; Redis holds neither the ticket nor the key', async () => {
  const [issuer, redeemer, third] = instances;
  const key = 'live-ticket-key-in-clear';
  const ticket = await ticketFrom(issuer, key);
  const client = new Redis(redis.url);
  try {
    const keys = await client.keys('live:ticket:*');
    const values = await Promise.all(keys.map((k) => client.get(k)));
    expect(keys.length).toBe(1);
    expect(await client.pttl(keys[0])).toBeGreaterThan(55_000);
    expect(JSON.stringify([keys, values])).not.toContain(ticket);
    expect(JSON.stringify([keys, values])).not.toContain(key);
  } finally {
    client.disconnect();
  }
  const stream = await openStream(redeemer, ticket);
  try {
    expect(stream.response.statusCode).toBe(200);
    await new TestApi(third, key).createJob();
    await until(() => stream.events.some((e) => e.event === 'job'));
    const again = await Promise.all(
      instances.map((server) =>
        fetch(`${server.url}/console/events?ticket=${encodeURIComponent(ticket)}`).then((r) => r.status),
      ),
    );
    expect(again).toEqual([401, 401, 401]);
  } finally {
    stream.close();
  }
}, 60_000);

it('an instance listens on the events channel only while a page of it is open, and says ready once it does', async () => {
  const client = new Redis(redis.url);
  const subscribers = async () => Number(((await client.pubsub('NUMSUB', 'live:events')) as [string, number])[1]);
  const settlesAt = async (count: number) => {
    for (let look = 0; look < 250 && (await subscribers()) !== count; look++)
      await new Promise((r) => setTimeout(r, 20));
    return subscribers();
  };
  try {
    expect(await settlesAt(0)).toBe(0);
    const stream = await openStream(instances[1], await ticketFrom(instances[0], 'live-listening'));
    // The stream's first chunk is `ready`, written once the subscription is in place.
    expect(stream.events.map((e) => e.event)).toContain('ready');
    expect(await subscribers()).toBe(1);
    stream.close();
    expect(await settlesAt(0)).toBe(0);
  } finally {
    client.disconnect();
  }
}, 60_000);
