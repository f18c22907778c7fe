/**
 * No API key at rest: after a run that touches every kind of record (slots, jobs, an
 * Idempotency-Key, endpoints, deliveries sent, failed and pending), neither any key nor any
 * value in Redis, nor any message on the events channel, nor anything the memory store
 * holds, contains a tenant's API key. Tenants are named by the keyed hash of their keys.
 */
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { TenantIds } from '../../server/domain/tenants';
import { startTestServer, type TestApi } from '../support/harness';
import { Receiver } from '../support/receiver';
import { startRedis, type RunningRedis } from '../support/redis-server';

let redis: RunningRedis;
let ok: Receiver;
let failing: Receiver;
beforeAll(async () => {
  redis = await startRedis();
  ok = await new Receiver().start();
  failing = await new Receiver((_req, res) => {
    res.statusCode = 500;
    res.end();
  }).start();
}, 30_000);
afterAll(async () => {
  await Promise.all([redis?.stop(), ok?.stop(), failing?.stop()]);
});

/** Two tenants' runs: jobs, a replayed Idempotency-Key, deliveries that succeed and that stay pending. */
async function exercise(api: TestApi): Promise<{ keys: string[]; jobIds: string[] }> {
  const keys = [`at-rest-${randomUUID()}`, `at-rest-${randomUUID()}`];
  const jobIds: string[] = [];
  for (const key of keys) {
    const tenant = api.as(key);
    expect((await tenant.post('/sandbox/webhook-endpoints', { url: ok.url })).status).toBe(201);
    expect((await tenant.post('/sandbox/webhook-endpoints', { url: failing.url })).status).toBe(201);
    const { id } = await tenant.createJob({}, { headers: { 'Idempotency-Key': randomUUID() } });
    await tenant.post(`/sandbox/jobs/${id}/advance`);
    jobIds.push(id, (await tenant.createJob()).id);
  }
  await ok.waitFor(6);
  await failing.waitFor(2);
  return { keys, jobIds };
}

/** Every string a value holds, its map keys included. */
function stringsIn(value: unknown, out: string[] = [], seen = new Set<unknown>()): string[] {
  if (typeof value === 'string') out.push(value);
  if (value === null || typeof value !== 'object' || seen.has(value)) return out;
  seen.add(value);
  if (value instanceof Map) for (const [k, v] of value) stringsIn(v, stringsIn(k, out, seen), seen);
  else if (value instanceof Set) for (const v of value) stringsIn(v, out, seen);
  else for (const v of Object.values(value)) stringsIn(v, out, seen);
  return out;
}

it('Redis holds no API key, in any key, value or relayed message', async () => {
  const hashKey = 'a-hash-key-of-this-test-only';
  const { server, api, close } = await startTestServer({
    store: redis.url,
    storePrefix: 'rest:',
    tenantHashKey: hashKey,
  });
  const listener = new Redis(redis.url);
  const messages: string[] = [];
  try {
    await listener.subscribe('rest:events');
    listener.on('message', (_channel: string, text: string) => messages.push(text));
    const { keys, jobIds } = await exercise(api);
    await server.outbox.idle();

    const dump = new Redis(redis.url);
    const everything: string[] = [];
    try {
      for (const name of await dump.keys('*')) {
        everything.push(name);
        const type = await dump.type(name);
        if (type === 'hash') everything.push(...stringsIn(await dump.hgetall(name)));
        else if (type === 'zset') everything.push(...(await dump.zrange(name, '0', '-1')));
        else if (type === 'set') everything.push(...(await dump.smembers(name)));
        else if (type === 'string') everything.push((await dump.get(name)) ?? '');
        else throw new Error(`a key of an unexpected type: ${name} (${type})`);
      }
    } finally {
      dump.disconnect();
    }
    // The dump is real: it holds the tenants' jobs, and names them by their keyed hash.
    const ids = keys.map((key) => new TenantIds(hashKey).idOf(key));
    for (const id of jobIds) expect(everything.some((text) => text.includes(id))).toBe(true);
    for (const id of ids) expect(everything.some((text) => text === id)).toBe(true);
    expect(messages.length).toBeGreaterThan(0);
    expect(messages.some((text) => text.includes(ids[0]))).toBe(true);
    for (const key of keys) {
      expect(everything.filter((text) => text.includes(key))).toEqual([]);
      expect(messages.filter((text) => text.includes(key))).toEqual([]);
    }
  } finally {
    listener.disconnect();
    await close();
  }
}, 60_000);

it('the memory store holds no API key in anything it could dump', async () => {
  const { server, api, close } = await startTestServer({ store: 'memory' });
  try {
    const { keys, jobIds } = await exercise(api);
    await server.outbox.idle();
    const held = stringsIn(server.sandbox.store);
    for (const id of jobIds) expect(held).toContain(id);
    for (const key of keys) expect(held.filter((text) => text.includes(key))).toEqual([]);
  } finally {
    await close();
  }
}, 60_000);
