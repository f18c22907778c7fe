/**
 * Tenants are strangers: every operation that takes an id answers another tenant's id
 * with 404 and changes nothing, no answer or delivery log shows another tenant's data,
 * and the number of tenants is bounded.
 */
import { randomUUID } from 'node:crypto';
import { operations, spec } from '../../spec/contract';
import { Receiver } from '../../test/support/receiver';
import { createJobRequest, startTestServer, type CallResult, type TestApi } from '../../test/support/harness';
import type { RunningServer } from '../main';

let server: RunningServer;
let api: TestApi;
let close: () => Promise<unknown>;
const receivers: Receiver[] = [];
let isolationCases = 0;

async function receiver(responder?: ConstructorParameters<typeof Receiver>[0]): Promise<Receiver> {
  const r = await new Receiver(responder).start();
  receivers.push(r);
  return r;
}

async function settled(of: RunningServer = server): Promise<void> {
  await new Promise((r) => setImmediate(r));
  await of.outbox.idle();
}

beforeAll(async () => {
  ({ server, api, close } = await startTestServer({ webhookRetrySchedule: [600, 600] }));
});
afterAll(async () => {
  await close();
  await Promise.all(receivers.map((r) => r.stop()));
  if (process.env.RELIABILITY_STATS) process.stdout.write(`isolation: ${isolationCases} cross-tenant cases\n`);
});

describe('isolation matrix', () => {
  it("answers another tenant's id with 404 on every operation that takes one, and changes nothing", async () => {
    const marker = `owner-${randomUUID()}`;
    const owner = api.as(`owner-${randomUUID()}`);
    const stranger = api.as(`stranger-${randomUUID()}`);
    const ownerHook = await receiver((_req, res, i) => {
      res.statusCode = i === 0 ? 500 : 200;
      res.end();
    });
    const strangerHook = await receiver();
    const endpoint = (await owner.post('/sandbox/webhook-endpoints', { url: ownerHook.url })).body.id;
    await stranger.post('/sandbox/webhook-endpoints', { url: strangerHook.url });
    // A rule that never fires (getJob has no body to match): the owner's, for the stranger to try.
    const fault = (
      await owner.post('/sandbox/faults', {
        operations: ['getJob'],
        match: { pointer: '/never', equals: 1 },
        status: 500,
      })
    ).body.id;
    const [usedSlot, freeSlot] = (await owner.slots()).map((s) => s.id);
    const { id: job } = await owner.createJob({
      slot_id: usedSlot,
      add_delivery_code: true,
      client_reference: marker,
      recipient: { name: marker, phone_number: '+5215512345678' },
    });
    await ownerHook.waitFor(1);
    await settled();
    const delivery = (await owner.get('/sandbox/webhook-deliveries')).body[0].id;
    const strangerSlot = (await stranger.slots())[0].id;
    const { id: strangerJob } = await stranger.createJob();

    const snapshot = async () => ({
      job: (await owner.get(`/jobs/${job}`)).body,
      usedSlot: (await owner.get(`/jobs/availability/${usedSlot}/check`)).body,
      freeSlot: (await owner.get(`/jobs/availability/${freeSlot}/check`)).body,
      endpoints: (await owner.get('/sandbox/webhook-endpoints')).body,
      deliveries: (await owner.get('/sandbox/webhook-deliveries')).body,
      jobs: (await owner.get('/sandbox/jobs')).body,
      clock: (await owner.get('/sandbox/clock')).body.offset_seconds,
      faults: (await owner.get('/sandbox/faults')).body,
    });
    const before = await snapshot();

    const idFor: Record<string, string> = {
      slot_id: freeSlot,
      job_id: job,
      endpoint_id: endpoint,
      delivery_id: delivery,
      fault_id: fault,
    };
    const bodies: Record<string, unknown> = {
      cancelJob: { reason: 'not yours' },
      updateDeliveryCode: { delivery_code: '0000' },
      rescheduleJob: { slot_id: strangerSlot, reason: 'not yours' },
      advanceJob: { to: 'CLIENT_RECEIVED', delivery_code: before.job.delivery_code },
      updateRecipientInstructions: { job_comment: 'not yours' },
      updatePaymentInfo: spec.components.examples.PaymentInfo.value,
      replaceExternalData: { webhook: { note: 'not yours' } },
      updateWebhookEndpoint: { duplicate: true },
      reportWebhookRelayResult: { attempt_id: 'rla_not_yours', status_code: 200 },
    };
    const seen: CallResult[] = [];
    const withIds = operations.filter((o) => o.pathParameters.length);
    expect(withIds.length).toBeGreaterThanOrEqual(10);
    for (const op of withIds) {
      for (const param of op.pathParameters)
        expect([op.operationId, param, idFor[param]]).toEqual([op.operationId, param, expect.any(String)]);
      const path = op.path.replace(/\{(\w+)\}/g, (_m, name: string) => idFor[name]);
      const res = await stranger.call(op.method, path, {
        body: bodies[op.operationId] ?? (op.requestBody?.required ? {} : undefined),
      });
      isolationCases += 1;
      seen.push(res);
      expect([op.operationId, res.status, res.body.code]).toEqual([
        op.operationId,
        404,
        expect.stringMatching(/_NOT_FOUND$/),
      ]);
    }
    // Ids of the owner inside bodies and queries are no better.
    const crossBody = [
      await stranger.post('/jobs', { ...createJobRequest(), slot_id: freeSlot }),
      await stranger.put(`/jobs/${strangerJob}/reschedule`, { slot_id: freeSlot, reason: 'not yours' }),
    ];
    for (const res of crossBody) expect([res.status, res.body.code]).toEqual([404, 'SLOT_NOT_FOUND']);
    seen.push(...crossBody);
    seen.push(await stranger.get(`/sandbox/webhook-deliveries?job_id=${job}`));
    expect(seen[seen.length - 1].body).toEqual([]);
    seen.push(
      await stranger.get('/sandbox/jobs'),
      await stranger.get('/sandbox/webhook-deliveries'),
      await stranger.get('/sandbox/webhook-endpoints'),
    );
    await stranger.post('/sandbox/clock/advance', { seconds: 3600 });
    seen.push(await stranger.post('/sandbox/reset'));
    isolationCases += crossBody.length + 6;
    await settled();

    expect(await snapshot()).toEqual(before);
    const ownerSecrets = [
      job,
      usedSlot,
      freeSlot,
      endpoint,
      delivery,
      marker,
      owner.key,
      ownerHook.url,
      before.deliveries[0].payload.client_id,
    ];
    // A 404 may repeat the id the stranger sent ("Job … not found"); nothing else of the owner's.
    for (const res of seen) {
      const text = ownerSecrets.reduce((t, id) => t.split(`${id} not found`).join(''), res.text);
      for (const secret of ownerSecrets) expect(text).not.toContain(secret);
    }
    for (const received of strangerHook.received)
      for (const secret of ownerSecrets) expect(received.body).not.toContain(secret);
    // The owner's own payloads name its account, never its key.
    expect(ownerHook.received.every((r) => !r.body.includes(owner.key))).toBe(true);
  });
});

describe('tenant bound (--max-tenants)', () => {
  it('evicts the least recently used idle tenant, keeps busy ones, and refuses with 429 when none is idle', async () => {
    const small = await startTestServer({ maxTenants: 3, webhookRetrySchedule: [600] });
    try {
      const failing = await receiver((_req, res) => {
        res.statusCode = 500;
        res.end();
      });
      const [busy, idle, recent] = ['busy', 'idle', 'recent'].map((name) => small.api.as(`${name}-${randomUUID()}`));
      await busy.post('/sandbox/webhook-endpoints', { url: failing.url });
      const { id: busyJob } = await busy.createJob();
      const { id: idleJob } = await idle.createJob();
      const { id: recentJob } = await recent.createJob();
      await failing.waitFor(1);
      await settled(small.server);
      // busy is now the least recently used, but a delivery of it is pending.
      await idle.get('/sandbox/clock');
      await recent.get('/sandbox/clock');

      const newcomer = small.api.as(`newcomer-${randomUUID()}`);
      const store = small.server.sandbox.store;
      // The store names tenants by reference, never by key.
      const kept = async () => (await store.tenantKeys()).sort();
      const refs = (...apis: TestApi[]) => apis.map((api) => store.tenants.refOf(api.key)).sort();
      expect((await newcomer.get('/sandbox/clock')).status).toBe(200);
      expect(await kept()).toEqual(refs(busy, recent, newcomer));
      expect((await busy.get(`/jobs/${busyJob}`)).status).toBe(200);
      expect((await recent.get(`/jobs/${recentJob}`)).status).toBe(200);
      // The evicted tenant starts afresh when it comes back (and evicts the idlest in turn).
      expect((await idle.get(`/jobs/${idleJob}`)).status).toBe(404);
      expect(await kept()).toEqual(refs(busy, recent, idle));

      // Make every tenant busy: then a stranger is refused rather than anyone evicted.
      for (const tenant of [recent, idle]) await tenant.post('/sandbox/webhook-endpoints', { url: failing.url });
      await recent.post(`/sandbox/jobs/${recentJob}/advance`);
      await idle.createJob();
      await failing.waitFor(3);
      await settled(small.server);
      const refused = await small.api
        .as(`late-${randomUUID()}`)
        .post('/jobs', { ...createJobRequest(), slot_id: 'slt_x' });
      expect([refused.status, refused.body.code]).toEqual([429, 'TENANT_FULL']);
      expect((await busy.get(`/jobs/${busyJob}`)).status).toBe(200);
    } finally {
      await small.close();
    }
  });

  it('forgets the webhooks of a reset tenant: nothing more is sent for it', async () => {
    const hook = await receiver((_req, res) => {
      res.statusCode = 500;
      res.end();
    });
    const key = `reset-${randomUUID()}`;
    const tenant = api.as(key);
    await tenant.post('/sandbox/webhook-endpoints', { url: hook.url });
    await tenant.createJob();
    await hook.waitFor(1);
    await settled();
    expect((await tenant.post('/sandbox/reset')).status).toBe(200);
    // A retry timer of the old tenant that fires once the retry is due finds nothing to send.
    await tenant.advanceClock(3600);
    await server.outbox.pump(key);
    await settled();
    expect(hook.received).toHaveLength(1);
    expect((await tenant.get('/sandbox/webhook-deliveries')).body).toEqual([]);
  });
});
