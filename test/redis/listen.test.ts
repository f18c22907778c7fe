/**
 * `lastmile listen` against a hosted sandbox: three instances on one real redis-server behind
 * a round-robin proxy. The stream, the attempts and the answers posted back land on different
 * instances; the local port answers 500 first, then 200; every event arrives, in order per
 * job, the failed one retried on schedule when the tenant clock is advanced.
 */
import { randomUUID } from 'node:crypto';
import { listen, type Listening } from '../../cli/listen';
import type { RunningServer } from '../../server/main';
import { TestApi } from '../support/harness';
import { Receiver } from '../support/receiver';
import { startRedis, type RunningRedis } from '../support/redis-server';
import type { RoundRobin } from '../support/round-robin';
import { instancesBehindProxy } from '../support/instances';

const RETRY_SECONDS = 30;

let redis: RunningRedis;
let instances: RunningServer[] = [];
let proxy: RoundRobin;
let closeInstances: (() => Promise<void>) | undefined;
let local: Receiver;
let listening: Listening | undefined;

beforeAll(async () => {
  redis = await startRedis();
  ({
    instances,
    proxy,
    close: closeInstances,
  } = await instancesBehindProxy({
    store: redis.url,
    storePrefix: 'listen:',
    webhookRetryJitter: 0,
    webhookRetrySchedule: [RETRY_SECONDS, RETRY_SECONDS],
    shutdownGraceMs: 200,
  }));
  local = await new Receiver((_req, res, index) => {
    res.statusCode = index === 0 ? 500 : 200;
    res.end(index === 0 ? 'try again' : 'ok');
  }).start();
}, 60_000);

afterAll(async () => {
  await listening?.stop();
  await local?.stop();
  await closeInstances?.();
  await redis?.stop();
}, 60_000);

async function logWhen(api: TestApi, ready: (log: any[]) => boolean, what: string): Promise<any[]> {
  for (let i = 0; i < 1000; i++) {
    const res = await api.get('/sandbox/webhook-deliveries?limit=1000');
    if (ready(res.body)) return res.body;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`the delivery log never showed ${what}`);
}

it('forwards every event through three instances behind a round-robin proxy, in order, the 500 retried on schedule', async () => {
  const key = `listen-${randomUUID()}`;
  // The same tenant on every instance, each call through the next one.
  const apis = instances.map((server) => new TestApi(server, key));
  let turn = 0;
  const api = () => apis[turn++ % apis.length];
  const lines: string[] = [];
  listening = await listen({
    baseUrl: proxy.url,
    apiKey: key,
    forwardTo: local.url,
    print: (line) => lines.push(line),
  });
  await listening.ready();
  const listed = (await api().get('/sandbox/webhook-endpoints')).body as any[];
  expect(listed).toEqual([expect.objectContaining({ id: listening.endpointId, relay: { connected: true } })]);

  const jobs: string[] = [];
  for (let j = 0; j < 2; j++) {
    const { id } = await api().createJob({ client_reference: `LISTEN-${j}` });
    jobs.push(id);
    for (let i = 0; i < 2; i++) expect((await api().post(`/sandbox/jobs/${id}/advance`)).status).toBe(200);
  }
  // The first delivery fails: what follows it for its job waits; the other job is not held up.
  await local.waitFor(1, 20_000);
  const failedLog = await logWhen(
    api(),
    (log) => log.some((d) => d.attempts.length === 1 && d.attempts[0].status_code === 500 && d.next_attempt_at),
    'the 500 with its retry due',
  );
  const failed = failedLog.find((d) => d.attempts[0]?.status_code === 500);
  expect(failed.attempts[0].response.body).toBe('try again');
  expect(Date.parse(failed.next_attempt_at) - Date.parse(failed.attempts[0].at)).toBe(RETRY_SECONDS * 1000);
  await logWhen(
    api(),
    (log) => log.filter((d) => d.job_id !== failed.job_id).every((d) => d.status === 'SUCCEEDED'),
    'the other job delivered',
  );
  const waiting = (await api().get('/sandbox/webhook-deliveries?limit=1000')).body.filter(
    (d: any) => d.job_id === failed.job_id && d.id !== failed.id,
  );
  expect(waiting.map((d: any) => d.waiting_for)).toEqual([failed.id, failed.id]);

  // The retry is due on the tenant clock: advanced, not waited for.
  await api().advanceClock(RETRY_SECONDS);
  const settled = await logWhen(
    api(),
    (log) => log.length === 6 && log.every((d) => d.status === 'SUCCEEDED'),
    'all six delivered',
  );
  expect(local.received).toHaveLength(7);
  // In order per job: the events as the log records them (oldest first), as they arrived.
  for (const jobId of jobs) {
    const expected = settled
      .filter((d) => d.job_id === jobId)
      .reverse()
      .map((d) => d.event_id);
    const arrived = local.received.filter((r) => r.json.job.id === jobId).map((r) => r.json.id);
    expect([...new Set(arrived)]).toEqual(expected);
  }
  const retried = settled.find((d) => d.id === failed.id);
  expect(retried.attempts.map((a: any) => a.status_code)).toEqual([500, 200]);
  expect(Date.parse(retried.attempts[1].at) - Date.parse(retried.attempts[0].at)).toBeGreaterThanOrEqual(
    RETRY_SECONDS * 1000,
  );
  expect(lines).toHaveLength(7);
}, 120_000);
