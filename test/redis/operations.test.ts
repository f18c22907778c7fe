/**
 * What an operator sees of a Redis outage: /readyz turns 503 (naming the store) while
 * /healthz stays 200; requests get our 503 message, never the client library's; the log says
 * one line when the outage starts and one when it ends, with its duration, however many
 * requests and outbox passes failed meanwhile; the metrics count the store's errors.
 */
import { startServer, storeAddress, type RunningServer } from '../../server/main';
import { TestApi, createJobRequest } from '../support/harness';
import { startRedis, type RunningRedis } from '../support/redis-server';
import { serve } from '../support/serve';
import { capturedLogger, storeLines } from '../support/logged';

let redis: RunningRedis;
let server: RunningServer;
const { lines, logger } = capturedLogger();

beforeAll(async () => {
  redis = await startRedis();
  server = await startServer(
    { port: 0, host: '127.0.0.1', store: redis.url, storePrefix: 'ops:', metrics: true },
    { logger },
  );
}, 60_000);

afterAll(async () => {
  await server?.close();
  await redis?.stop();
}, 60_000);

async function metric(name: string): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? NaN : Number(line.split(' ')[1]);
}

it('readiness follows Redis, liveness does not; an outage is two log lines and our own 503 message', async () => {
  const api = new TestApi(server, 'ops-tenant');
  // A webhook endpoint, so that the outbox has pending work to look for during the outage.
  expect((await api.post('/sandbox/webhook-endpoints', { url: 'http://127.0.0.1:9/refused' })).status).toBe(201);
  await api.createJob();
  expect((await api.get('/readyz')).body).toEqual({ status: 'ready', store: 'redis' });
  const errorsBefore = await metric('lastmile_store_errors_total');
  expect(await metric('lastmile_store_round_trips_total')).toBeGreaterThan(0);
  expect(storeLines(lines)).toEqual([]);

  await redis.pause();
  const ready = await api.get('/readyz');
  expect([ready.status, ready.headers.get('retry-after'), ready.body]).toEqual([
    503,
    '1',
    { code: 'STORE_UNAVAILABLE', message: 'The store is unreachable; retry after 1 s', store: 'redis' },
  ]);
  expect((await api.get('/healthz')).status).toBe(200);
  for (let i = 0; i < 20; i++) {
    const create = await api.post('/jobs', { ...createJobRequest(), slot_id: 'slt_any' });
    expect([create.status, create.body.message]).toEqual([503, 'The store is unreachable; retry after 1 s']);
  }
  const ticket = await fetch(`${server.url}/console/stream-tickets`, {
    method: 'POST',
    headers: { 'x-api-key': 'ops-tenant' },
  });
  expect([ticket.status, ((await ticket.json()) as { message: string }).message]).toEqual([
    503,
    'The store is unreachable; retry after 1 s',
  ]);
  expect(await metric('lastmile_store_errors_total')).toBeGreaterThanOrEqual(errorsBefore + 22);

  await redis.resume();
  let answer = await api.get('/readyz');
  for (let look = 0; answer.status !== 200 && look < 200; look++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    answer = await api.get('/readyz');
  }
  expect(answer.status).toBe(200);
  const logged = storeLines(lines);
  expect(logged.map((l) => [l.level, l.msg.replace(/after .*$/, 'after …')])).toEqual([
    [50, 'store unreachable: requests answer 503 until it is back'],
    [40, 'store reachable again after …'],
  ]);
  expect(logged[0].store).toBe(redis.url);
  expect(logged[1].down_ms).toBeGreaterThan(0);
  // No stack traces, and nothing else at error level, for all those failed requests and passes.
  expect(lines.filter((l) => l.level >= 40 && !l.msg.startsWith('store '))).toEqual([]);
  expect(JSON.stringify(lines)).not.toContain('"stack"');
}, 60_000);

it('the start-up banner names the store; a Redis address is shown without credentials', async () => {
  expect(storeAddress('memory')).toBe('memory');
  expect(storeAddress('redis://admin:s3cret@redis.internal:6380/2')).toBe('redis://redis.internal:6380/2');
  expect(storeAddress('rediss://:s3cret@redis.internal')).toBe('rediss://redis.internal');
  const served = await serve(['--store', `${redis.url}/0`, '--store-prefix', 'banner:']);
  try {
    expect(served.banner).toContain(`Store:          ${redis.url}/0\n`);
    expect(served.banner).toContain(`Readiness:      ${served.url}/readyz\n`);
  } finally {
    await served.close();
  }
  const memory = await serve(['--metrics']);
  try {
    expect(memory.banner).toContain('Store:          memory   (this process only)\n');
    expect(memory.banner).toContain(`Metrics: ${memory.url}/metrics\n`);
  } finally {
    await memory.close();
  }
}, 90_000);
