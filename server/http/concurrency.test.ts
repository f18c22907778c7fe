/** Parallel requests on one slot, one idempotency key or one job: exactly one winner, no event skipped or repeated. */
import { randomUUID } from 'node:crypto';
import { Receiver } from '../../test/support/receiver';
import { createJobRequest, startTestServer, type TestApi } from '../../test/support/harness';

const STEPS = [
  'CREATED',
  'PICKING_STARTED',
  'PICKING_FINISHED',
  'CHECKING_OUT_STARTED',
  'CHECKED_OUT',
  'GOING_TO_DESTINATION_STARTED',
  'ARRIVED_TO_DESTINATION',
  'DELIVERING_STARTED',
  'CLIENT_RECEIVED',
];

let api: TestApi;
let close: () => Promise<unknown>;
let hook: Receiver;

beforeAll(async () => {
  ({ api, close } = await startTestServer());
  hook = await new Receiver().start();
});
afterAll(async () => {
  await close();
  await hook.stop();
});

const count = (values: unknown[]) =>
  values.reduce<Record<string, number>>((acc, v) => ({ ...acc, [String(v)]: (acc[String(v)] ?? 0) + 1 }), {});

it('50 parallel creates on one slot: exactly one 201 and 49 409 SLOT_ALREADY_USED', async () => {
  const tenant = api.as(`race-${randomUUID()}`);
  const slot_id = await tenant.slotId();
  const answers = await Promise.all(
    Array.from({ length: 50 }, (_, i) =>
      tenant.post('/jobs', { ...createJobRequest(), client_reference: `R-${i}`, slot_id }),
    ),
  );
  expect(count(answers.map((a) => a.status))).toEqual({ 201: 1, 409: 49 });
  expect(new Set(answers.filter((a) => a.status === 409).map((a) => a.body.code))).toEqual(
    new Set(['SLOT_ALREADY_USED']),
  );
  const jobs = (await tenant.get('/sandbox/jobs')).body;
  expect(jobs.map((j: any) => j.id)).toEqual([answers.find((a) => a.status === 201)!.body.job_id]);
});

it('50 parallel sends with one Idempotency-Key: one job, every answer the same', async () => {
  const tenant = api.as(`idem-${randomUUID()}`);
  const body = { ...createJobRequest(), slot_id: await tenant.slotId() };
  const answers = await Promise.all(
    Array.from({ length: 50 }, () => tenant.post('/jobs', body, { headers: { 'Idempotency-Key': 'same-order' } })),
  );
  expect(count(answers.map((a) => a.status))).toEqual({ 201: 50 });
  expect(new Set(answers.map((a) => a.body.job_id)).size).toBe(1);
  expect(answers.filter((a) => a.headers.get('idempotent-replayed') === 'true')).toHaveLength(49);
  expect((await tenant.get('/sandbox/jobs')).body).toHaveLength(1);
});

it('parallel driver advances on one job never skip or repeat an event, in history or in webhooks', async () => {
  const tenant = api.as(`drive-${randomUUID()}`);
  await tenant.post('/sandbox/webhook-endpoints', { url: hook.url });
  const before = hook.received.length;
  const { id } = await tenant.createJob({ add_delivery_code: false });
  const answers = await Promise.all(Array.from({ length: 50 }, () => tenant.post(`/sandbox/jobs/${id}/advance`)));
  expect(count(answers.map((a) => a.status))).toEqual({ 200: 8, 409: 42 });
  expect(
    answers
      .filter((a) => a.status === 200)
      .map((a) => a.body.state)
      .sort(),
  ).toEqual([...STEPS.slice(1)].sort());
  const job = (await tenant.get(`/jobs/${id}`)).body;
  expect(job.history.map((h: any) => h.type)).toEqual(STEPS);
  await hook.waitFor(before + STEPS.length);
  await new Promise((r) => setImmediate(r));
  await api.server.outbox.idle();
  const mine = hook.received.slice(before).filter((r) => r.json.job.id === id);
  expect(mine.map((r) => r.json.type)).toEqual(STEPS);
  expect(new Set(mine.map((r) => r.json.id)).size).toBe(STEPS.length);
  const log = (await tenant.get(`/sandbox/webhook-deliveries?job_id=${id}`)).body;
  expect(log.map((d: any) => [d.event_type, d.status, d.attempts.length]).reverse()).toEqual(
    STEPS.map((s) => [s, 'SUCCEEDED', 1]),
  );
});

it('parallel advances with "to", cancels and reschedules on one job leave one consistent history', async () => {
  const tenant = api.as(`mixed-${randomUUID()}`);
  const { id } = await tenant.createJob();
  const slots = (await tenant.slots()).map((s) => s.id);
  const answers = await Promise.all([
    ...STEPS.slice(1).map((to) => tenant.post(`/sandbox/jobs/${id}/advance`, { to })),
    ...slots.map((slot_id) => tenant.put(`/jobs/${id}/reschedule`, { slot_id, reason: 'race' })),
    tenant.post(`/jobs/${id}/cancel`, { reason: 'race' }),
  ]);
  // 422: the step to CLIENT_RECEIVED without the job's delivery code.
  expect(answers.every((a) => [200, 409, 422].includes(a.status))).toBe(true);
  const job = (await tenant.get(`/jobs/${id}`)).body;
  const lifecycle = job.history.map((h: any) => h.type).filter((t: string) => STEPS.includes(t));
  expect(lifecycle).toEqual(STEPS.slice(0, lifecycle.length));
  expect(job.history.filter((h: any) => h.type === 'CANCELLED').length).toBeLessThanOrEqual(1);
  expect(job.history.filter((h: any) => h.type === 'RESCHEDULED').length).toBe(
    answers.filter((a) => a.status === 200 && a.body.history.at(-1).type === 'RESCHEDULED').length,
  );
});
