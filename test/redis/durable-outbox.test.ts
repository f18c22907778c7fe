/**
 * The shared webhook outbox outlives its processes: `lastmile serve --store redis://…` in
 * processes of their own, one killed with SIGKILL while it holds deliveries, then every
 * process stopped and started again. Nothing is lost: every event arrives (at least once,
 * the same webhook-id on a repeat) and every delivery ends SUCCEEDED. The kill also on a
 * Redis Cluster of three masters.
 */
import { randomUUID } from 'node:crypto';
import { availabilityRequest, createJobRequest } from '../support/harness';
import { Receiver } from '../support/receiver';
import { sharedRedisCluster, startRedis, type RunningRedis } from '../support/redis-server';
import { serve, type ServedProcess } from '../support/serve';

const TEST_TIMEOUT_MS = 180_000;
/** A held attempt's lease lasts the webhook timeout plus a margin (5 s), in real time and on the tenant clock. */
const WEBHOOK_TIMEOUT_S = 60;
const JOBS = 10;

let redis: RunningRedis;
const processes: ServedProcess[] = [];
const receivers: Receiver[] = [];

async function instances(count: number, prefix: string, on: RunningRedis = redis): Promise<ServedProcess[]> {
  const started = await Promise.all(
    Array.from({ length: count }, () =>
      serve([
        '--store',
        on.url,
        '--store-prefix',
        prefix,
        '--webhook-timeout',
        String(WEBHOOK_TIMEOUT_S * 1000),
        '--webhook-retry-jitter',
        '0',
        '--webhook-retry-schedule',
        '30,30,30,30,30',
      ]),
    ),
  );
  processes.push(...started);
  return started;
}

async function call(
  base: string,
  key: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { 'x-api-key': key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** JOBS jobs, the i-th created through `via(i)`: one CREATED delivery each. */
async function burst(via: (i: number) => string, key: string): Promise<void> {
  const slots = (
    await call(via(0), key, 'POST', '/jobs/availability/v2', {
      ...availabilityRequest(),
      slot_size: 15,
      end: '2026-11-28T04:00:00Z',
    })
  ).body;
  for (let i = 0; i < JOBS; i++) {
    const created = await call(via(i), key, 'POST', '/jobs', {
      ...createJobRequest(),
      slot_id: slots[i].id,
      client_reference: `D-${i}`,
    });
    expect(created.status).toBe(201);
  }
}

/** Polls the delivery log until nothing is pending (each look is one request; bounded). */
async function settledLog(base: string, key: string): Promise<Array<{ status: string; event_id: string }>> {
  for (let look = 0; look < 600; look++) {
    const log = (await call(base, key, 'GET', '/sandbox/webhook-deliveries?limit=1000')).body;
    if (log.every((d: { status: string }) => d.status !== 'PENDING')) return log;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('deliveries still pending after 600 looks');
}

function receivedEventIds(hook: Receiver): string[] {
  return [...new Set(hook.received.map((r) => String(r.headers['webhook-id'])))].sort();
}

beforeAll(async () => {
  redis = await startRedis({ appendOnly: true });
}, 60_000);

afterAll(async () => {
  await Promise.all(processes.map((p) => p.close()));
  await Promise.all(receivers.map((r) => r.stop()));
  await redis?.stop();
}, 60_000);

/** One instance holds every attempt of a burst and is killed with SIGKILL; another, started then, delivers them all. */
async function killMidBurst(on: RunningRedis, prefix: string): Promise<void> {
  const [doomed] = await instances(1, prefix, on);
  const held: Array<() => void> = [];
  // Holds every answer: the doomed instance dies with all its attempts in flight.
  const hook = new Receiver((_req, res) => {
    held.push(() => res.end('ok'));
  });
  receivers.push(await hook.start());
  const key = `kill-${randomUUID()}`;
  expect((await call(doomed.url, key, 'POST', '/sandbox/webhook-endpoints', { url: hook.url })).status).toBe(201);
  await burst(() => doomed.url, key);
  await hook.waitFor(JOBS, 30_000);
  // Started only now, so that every attempt in flight is the doomed instance's.
  const [survivor] = await instances(1, prefix, on);
  doomed.kill('SIGKILL');
  await doomed.exited;
  hook.respondWith((_req, res) => res.end('ok'));
  for (const release of held.splice(0)) release();
  const before = (await call(survivor.url, key, 'GET', '/sandbox/webhook-deliveries?limit=1000')).body;
  expect(before.map((d: { status: string }) => d.status)).toEqual(Array(JOBS).fill('PENDING'));
  // The dead instance's leases also end on the tenant clock: nobody waits for real time.
  expect(
    (await call(survivor.url, key, 'POST', '/sandbox/clock/advance', { seconds: WEBHOOK_TIMEOUT_S + 10 })).status,
  ).toBe(200);
  const log = await settledLog(survivor.url, key);
  expect(log.map((d) => d.status)).toEqual(Array(JOBS).fill('SUCCEEDED'));
  expect(receivedEventIds(hook)).toEqual(log.map((d) => d.event_id).sort());
  expect(hook.received.length).toBeGreaterThanOrEqual(2 * JOBS);
}

it(
  'an instance killed with SIGKILL mid-burst: another retries what it held once the lease runs out; 0 lost',
  () => killMidBurst(redis, 'kill:'),
  TEST_TIMEOUT_MS,
);

it(
  'on a Redis Cluster, an instance killed with SIGKILL mid-burst: another retries what it held; 0 lost',
  async () => {
    const cluster = await sharedRedisCluster();
    try {
      await killMidBurst(cluster, 'cluster-kill:');
    } finally {
      await Promise.all(processes.splice(0).map((p) => p.close()));
      await cluster.stop();
    }
  },
  TEST_TIMEOUT_MS,
);

it(
  'every instance stopped and started again: every pending delivery still arrives; 0 lost',
  async () => {
    const first = await instances(2, 'restart:');
    const hook = new Receiver((_req, res) => {
      res.statusCode = 500;
      res.end();
    });
    receivers.push(await hook.start());
    const key = `restart-${randomUUID()}`;
    expect((await call(first[0].url, key, 'POST', '/sandbox/webhook-endpoints', { url: hook.url })).status).toBe(201);
    await burst((i) => first[i % 2].url, key);
    await hook.waitFor(JOBS, 30_000);
    await Promise.all(first.map((p) => p.close()));
    const pending = (await instances(1, 'restart:'))[0];
    const waiting = (await call(pending.url, key, 'GET', '/sandbox/webhook-deliveries?limit=1000')).body;
    expect(waiting.map((d: { status: string }) => d.status)).toEqual(Array(JOBS).fill('PENDING'));
    await pending.close();
    // Redis too: its append-only file brings every record back.
    await redis.pause();
    await redis.resume();
    hook.respondWith((_req, res) => res.end('ok'));
    const second = await instances(2, 'restart:');
    expect((await call(second[1].url, key, 'POST', '/sandbox/clock/advance', { seconds: 31 })).status).toBe(200);
    const log = await settledLog(second[0].url, key);
    expect(log.map((d) => d.status)).toEqual(Array(JOBS).fill('SUCCEEDED'));
    expect(receivedEventIds(hook)).toEqual(log.map((d) => d.event_id).sort());
  },
  TEST_TIMEOUT_MS,
);
