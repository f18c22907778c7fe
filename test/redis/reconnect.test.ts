/**
 * Redis restarted with its data: while it loads the data back it accepts connections but
 * answers `LOADING`, and the instance's clients connect to it then. Once it has loaded, the
 * instance answers again at once (not after the client library's own wait for a loading
 * server, up to 10 s) and logs that the store is reachable again.
 */
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { startServer, type RunningServer } from '../../server/main';
import { TestApi } from '../support/harness';
import { startRedis, type RunningRedis } from '../support/redis-server';
import { capturedLogger, storeLines } from '../support/logged';

let redis: RunningRedis;
let server: RunningServer;
const { lines, logger } = capturedLogger();

beforeAll(async () => {
  redis = await startRedis();
  server = await startServer(
    { port: 0, host: '127.0.0.1', store: redis.url, storePrefix: 'reconnect:', tenantTtlSeconds: 3600 },
    { logger },
  );
}, 60_000);

afterAll(async () => {
  await server?.close();
  await redis?.stop();
}, 60_000);

/** How many looks, 50 ms apart, until `answers` is true; `cap` when it never is. */
async function looksUntil(answers: () => Promise<boolean>, cap: number): Promise<number> {
  for (let look = 1; look < cap; look++) {
    if (await answers()) return look;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return cap;
}

it('answers again as soon as a restarted Redis has loaded its data, and logs that it is back', async () => {
  const api = new TestApi(server, 'reconnect-tenant');
  const { id } = await api.createJob();
  // Data that loads slowly at first and fast at the end: many small keys (each delayed at
  // load) in db 0, then one large value in db 1. Redis then estimates a long load while the
  // clients connect (elapsed time × bytes left / bytes loaded).
  const direct = new Redis(redis.url);
  try {
    const small = direct.pipeline();
    for (let i = 0; i < 400; i++) small.set(`filler:${i}`, 'x');
    await small.exec();
    await direct.select(1);
    await direct.set('filler:large', randomBytes(1 << 20));
    await direct.save();
  } finally {
    direct.disconnect();
  }

  await redis.pause();
  expect((await api.get(`/jobs/${id}`)).status).toBe(503);
  // 400 keys × 5 ms: the instance's clients retry every 100 ms to 1 s, so they connect while it loads.
  await redis.resume(['--key-load-delay', '5000', '--loading-process-events-interval-bytes', '1024']);

  // Loaded now: a few looks at most (the cap is generous), however long Redis said it would take.
  const looks = await looksUntil(
    async () => (await api.get('/readyz')).status === 200 && (await api.get(`/jobs/${id}`)).status === 200,
    100,
  );
  expect(looks).toBeLessThan(100);
  expect((await api.get(`/jobs/${id}`)).body.id).toBe(id);
  const logged = storeLines(lines);
  expect(logged.map((l) => [l.level, l.msg.replace(/after .*$/, 'after …')])).toEqual([
    [50, 'store unreachable: requests answer 503 until it is back'],
    [40, 'store reachable again after …'],
  ]);
}, 60_000);
