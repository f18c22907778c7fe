/**
 * Any number of `lastmile serve --store redis://…` processes answer as one: three instances
 * on one real redis-server, behind a round-robin proxy, pass the whole conformance kit; and
 * what must be atomic stays atomic when the racing requests land on different instances.
 * No lock in any process stands in: the instances share nothing but Redis. The kit also
 * passes through three instances on a Redis Cluster of three masters.
 */
import { randomUUID } from 'node:crypto';
import { runConformance } from '../../conformance';
import { startServer, type RunningServer } from '../../server/main';
import { TestApi, availabilityRequest, createJobRequest } from '../support/harness';
import { sharedRedisCluster, startRedis, type RunningRedis } from '../support/redis-server';
import { roundRobin, type RoundRobin } from '../support/round-robin';
import { instancesBehindProxy } from '../support/instances';

let redis: RunningRedis;
let instances: RunningServer[] = [];
let proxy: RoundRobin;
let closeInstances: (() => Promise<void>) | undefined;

beforeAll(async () => {
  redis = await startRedis();
  ({
    instances,
    proxy,
    close: closeInstances,
  } = await instancesBehindProxy({
    store: redis.url,
    storePrefix: 'instances:',
    webhookRetryJitter: 0,
    shutdownGraceMs: 200,
  }));
}, 60_000);

afterAll(async () => {
  await closeInstances?.();
  await redis?.stop();
}, 60_000);

/** The same tenant on each instance. */
function tenantOnEach(key = `inst-${randomUUID()}`): TestApi[] {
  return instances.map((server) => new TestApi(server, key));
}

/** The kit through a round-robin proxy at `baseUrl`: the checks that failed, with why, and how many passed. */
async function kitFailures(baseUrl: string): Promise<{ failed: string[]; passed: number }> {
  const run = await runConformance({ baseUrl, apiKey: 'round-robin' });
  const failed = run.checks
    .filter((c) => c.status === 'failed')
    .map(
      (c) =>
        `${c.id}: ${c.failures
          .map((f) => f.message)
          .join('; ')
          .slice(0, 400)}`,
    );
  return { failed, passed: run.checks.filter((c) => c.status === 'passed').length };
}

it('the conformance kit through a round-robin proxy over three instances: 0 failed', async () => {
  const { failed, passed } = await kitFailures(proxy.url);
  expect(failed).toEqual([]);
  expect(passed).toBeGreaterThan(40);
}, 180_000);

it('the conformance kit through a round-robin proxy over three instances on a Redis Cluster: 0 failed', async () => {
  const cluster = await sharedRedisCluster();
  const onCluster: RunningServer[] = [];
  let clusterProxy: RoundRobin | undefined;
  try {
    for (let i = 0; i < 3; i++)
      onCluster.push(
        await startServer({
          port: 0,
          host: '127.0.0.1',
          logLevel: 'silent',
          store: cluster.url,
          storePrefix: 'cluster:',
          webhookRetryJitter: 0,
          shutdownGraceMs: 200,
        }),
      );
    clusterProxy = await roundRobin(onCluster.map((i) => i.url));
    const { failed, passed } = await kitFailures(clusterProxy.url);
    expect(failed).toEqual([]);
    expect(passed).toBeGreaterThan(40);
  } finally {
    await clusterProxy?.close();
    await Promise.all(onCluster.map((i) => i.close()));
    await cluster.stop();
  }
}, 180_000);

it('50 concurrent creates on one slot across three instances: exactly one 201, 49 × 409 SLOT_ALREADY_USED', async () => {
  const apis = tenantOnEach();
  const slotId = await apis[0].slotId();
  const answers = await Promise.all(
    Array.from({ length: 50 }, (_, i) =>
      apis[i % 3].post('/jobs', { ...createJobRequest(), slot_id: slotId, client_reference: `RACE-${i}` }),
    ),
  );
  const outcomes = answers.map((a) => (a.status === 201 ? '201' : `${a.status} ${a.body.code}`)).sort();
  expect(outcomes).toEqual(['201', ...Array(49).fill('409 SLOT_ALREADY_USED')]);
  expect((await apis[1].get('/sandbox/jobs')).body).toHaveLength(1);
}, 60_000);

it('one Idempotency-Key raced across instances: one job, every answer a 201 with it', async () => {
  const apis = tenantOnEach();
  const body = { ...createJobRequest(), slot_id: await apis[0].slotId() };
  const answers = await Promise.all(
    Array.from({ length: 24 }, (_, i) =>
      apis[i % 3].post('/jobs', body, { headers: { 'Idempotency-Key': 'raced-key' } }),
    ),
  );
  expect(answers.map((a) => a.status)).toEqual(Array(24).fill(201));
  expect(new Set(answers.map((a) => a.body.job_id)).size).toBe(1);
  expect(answers.filter((a) => a.headers.get('idempotent-replayed') !== 'true')).toHaveLength(1);
  const jobs = (await apis[2].get('/sandbox/jobs')).body;
  expect(jobs.map((j: { id: string }) => j.id)).toEqual([answers[0].body.job_id]);
}, 60_000);

it('15 concurrent wrong delivery codes across instances: never more than 5 counted, then 423', async () => {
  const apis = tenantOnEach();
  const { id } = await apis[0].createJob({ add_delivery_code: true });
  expect((await apis[1].post(`/sandbox/jobs/${id}/advance`, { to: 'DELIVERING_STARTED' })).status).toBe(200);
  const code = (await apis[2].get(`/jobs/${id}`)).body.delivery_code;
  const wrong = code === '0000' ? '1111' : '0000';
  const answers = await Promise.all(
    Array.from({ length: 15 }, (_, i) => apis[i % 3].post(`/sandbox/jobs/${id}/advance`, { delivery_code: wrong })),
  );
  const counted = answers
    .filter((a) => a.status === 422)
    .map((a) => a.body.attempts_remaining)
    .sort();
  expect(counted).toEqual([0, 1, 2, 3, 4]);
  expect(answers.filter((a) => a.status === 423).map((a) => a.body.code)).toEqual(
    Array(10).fill('DELIVERY_CODE_LOCKED'),
  );
  const job = (await apis[0].get(`/jobs/${id}`)).body;
  expect([job.state, job.delivery_code_attempts_remaining]).toEqual(['DELIVERING_STARTED', 0]);
}, 60_000);

it('a clock advance on one instance is what the next request on any other sees', async () => {
  const apis = tenantOnEach();
  expect((await apis[0].post('/sandbox/clock/freeze')).status).toBe(200);
  let offset = 0;
  for (let i = 0; i < 6; i++) {
    offset += 60 * (i + 1);
    expect((await apis[i % 3].post('/sandbox/clock/advance', { seconds: 60 * (i + 1) })).body.offset_seconds).toBe(
      offset,
    );
    for (const other of [apis[(i + 1) % 3], apis[(i + 2) % 3]])
      expect((await other.get('/sandbox/clock')).body.offset_seconds).toBe(offset);
  }
  const slots = await apis[1].slots({ ...availabilityRequest() });
  expect((await apis[2].get(`/jobs/availability/${slots[0].id}/check`)).body.status).toBe('AVAILABLE');
  await apis[0].advanceClock(901);
  expect((await apis[1].get(`/jobs/availability/${slots[0].id}/check`)).body.status).toBe('EXPIRED');
}, 60_000);

it('a fault rule with times: 5, raced by 24 calls across instances: exactly 5 faulted, and every instance counts 5', async () => {
  const apis = tenantOnEach();
  const rule = (await apis[0].post('/sandbox/faults', { operations: ['getAvailability'], status: 503, times: 5 })).body;
  const answers = await Promise.all(
    Array.from({ length: 24 }, (_, i) => apis[i % 3].post('/jobs/availability/v2', availabilityRequest())),
  );
  expect(answers.filter((a) => a.status === 503).map((a) => a.body.fault_id)).toEqual(Array(5).fill(rule.id));
  expect(answers.filter((a) => a.status === 200)).toHaveLength(19);
  for (const api of apis) expect((await api.get('/sandbox/faults')).body.map((r: any) => r.fired)).toEqual([5]);
}, 60_000);
