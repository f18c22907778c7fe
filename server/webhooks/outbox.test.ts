import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { validateWebhookPayload } from '../../spec/contract';
import { Receiver } from '../../test/support/receiver';
import { minimalCreateJobRequest, startTestServer, type TestApi } from '../../test/support/harness';
import { STORE_KINDS, storesOf } from '../../test/support/stores';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
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

describe.each(STORE_KINDS)('on the %s store', (kind) => {
  const stores = storesOf(kind);

  let api: TestApi;
  let close: () => Promise<unknown>;
  const receivers: Receiver[] = [];

  async function receiver(): Promise<Receiver> {
    const r = await new Receiver().start();
    receivers.push(r);
    return r;
  }

  async function register(tenant: TestApi, url: string, secret = SECRET): Promise<string> {
    const res = await tenant.post('/sandbox/webhook-endpoints', { url, secret });
    expect(res.status).toBe(201);
    return res.body.id;
  }

  async function deliveries(tenant: TestApi, query = ''): Promise<any[]> {
    return (await tenant.get(`/sandbox/webhook-deliveries${query}`)).body;
  }

  /** Waits for the outbox to have nothing in flight (loopback round trips, not timers). */
  async function settled(): Promise<void> {
    await new Promise((r) => setImmediate(r));
    await api.server.outbox.idle();
  }

  /**
   * The first attempt (unless already seen), then each retry of the [60, 600] schedule
   * brought due by advancing the tenant clock just past it: three attempts in all.
   */
  async function walkTheSchedule(tenant: TestApi, hook: Receiver, seen = 0): Promise<void> {
    if (seen < 1) {
      await hook.waitFor(1);
      await settled();
    }
    for (const [attempt, seconds] of [
      [2, 61],
      [3, 601],
    ]) {
      await tenant.advanceClock(seconds);
      await hook.waitFor(attempt);
      await settled();
    }
  }

  beforeAll(async () => {
    ({ api, close } = await startTestServer({
      ...stores.serverConfig(),
      webhookRetrySchedule: [60, 600],
      webhookTimeoutMs: 300,
    }));
  });
  afterAll(async () => {
    await close();
    await Promise.all(receivers.map((r) => r.stop()));
  });

  describe('webhook delivery', () => {
    it('delivers every event of a job once, in order, schema-valid, with both signatures', async () => {
      const tenant = api.as(`walk-${Date.now()}`);
      const hook = await receiver();
      await register(tenant, hook.url);
      const { id } = await tenant.createJob({ add_delivery_code: true });
      const code = (await tenant.get(`/jobs/${id}`)).body.delivery_code;
      for (const step of STEPS.slice(1, -1)) await tenant.post(`/sandbox/jobs/${id}/advance`, { to: step });
      await tenant.post(`/sandbox/jobs/${id}/advance`, { delivery_code: code });
      await hook.waitFor(STEPS.length);
      await settled();

      expect(hook.received.map((r) => r.json.type)).toEqual(STEPS);
      expect(new Set(hook.received.map((r) => r.json.id)).size).toBe(STEPS.length);
      const verifier = new Webhook(SECRET);
      for (const { json, body, headers } of hook.received) {
        expect(validateWebhookPayload(json)).toEqual({ ok: true });
        expect(json.job.id).toBe(id);
        expect(json.job.delivery_code).toBe(code);
        expect(json.job.state).toBe(json.type);
        expect(headers['webhook-id']).toBe(json.id);
        expect(() => verifier.verify(body, headers as Record<string, string>)).not.toThrow();
        const production = createHmac('sha256', SECRET)
          .update(`${json.id}&${json.created_at}&${json.type}`)
          .digest('hex');
        expect(headers['instaleap-signature']).toBe(production);
      }
      const log = await deliveries(tenant, `?job_id=${id}`);
      expect(log).toHaveLength(STEPS.length);
      expect(
        log.every((d) => d.status === 'SUCCEEDED' && d.attempts.length === 1 && d.attempts[0].status_code === 200),
      ).toBe(true);
    });

    it('signatures made with another secret or over another body do not verify', async () => {
      const tenant = api.as(`tamper-${Date.now()}`);
      const hook = await receiver();
      await register(tenant, hook.url);
      await tenant.createJob();
      await hook.waitFor(1);
      const { body, headers } = hook.received[0];
      expect(() =>
        new Webhook('whsec_' + Buffer.from('another secret of enough length').toString('base64')).verify(
          body,
          headers as Record<string, string>,
        ),
      ).toThrow();
      expect(() =>
        new Webhook(SECRET).verify(body.replace('CREATED', 'CANCELLED'), headers as Record<string, string>),
      ).toThrow();
    });

    it('retries after two 500s on the tenant clock and logs all three attempts', async () => {
      const tenant = api.as(`retry-${Date.now()}`);
      await tenant.post('/sandbox/clock/freeze');
      const hook = await receiver();
      hook.respondWith((_req, res, i) => {
        res.statusCode = i < 2 ? 500 : 200;
        res.end(i < 2 ? 'boom' : 'ok');
      });
      await register(tenant, hook.url);
      const { id } = await tenant.createJob();
      await hook.waitFor(1);
      await settled();
      let [delivery] = await deliveries(tenant, `?job_id=${id}`);
      expect(delivery.status).toBe('PENDING');
      // Exactly 60 s (no jitter here) after the failed attempt's own time.
      expect(Date.parse(delivery.next_attempt_at)).toBe(Date.parse(delivery.attempts[0].at) + 60_000);
      await tenant.advanceClock(59);
      await settled();
      expect(hook.received).toHaveLength(1);
      await tenant.advanceClock(1);
      await hook.waitFor(2);
      await settled();
      [delivery] = await deliveries(tenant, `?job_id=${id}`);
      expect(delivery.attempts.map((a: any) => Date.parse(a.at) - Date.parse(delivery.attempts[0].at))).toEqual([
        0, 60_000,
      ]);
      expect(Date.parse(delivery.next_attempt_at)).toBe(Date.parse(delivery.attempts[1].at) + 600_000);
      await tenant.advanceClock(600);
      await hook.waitFor(3);
      await settled();

      [delivery] = await deliveries(tenant, `?job_id=${id}`);
      expect(delivery.status).toBe('SUCCEEDED');
      expect(delivery.attempts.map((a: any) => a.status_code)).toEqual([500, 500, 200]);
      expect(delivery.next_attempt_at).toBeNull();
      expect(hook.received.map((r) => r.headers['webhook-id'])).toEqual(Array(3).fill(delivery.event_id));
    });

    it('dead-letters after the schedule when the receiver stays down, and a manual retry re-sends', async () => {
      const tenant = api.as(`dead-${Date.now()}`);
      const hook = await receiver();
      hook.respondWith((_req, res) => {
        res.statusCode = 503;
        res.end();
      });
      await register(tenant, hook.url);
      const { id } = await tenant.createJob();
      await walkTheSchedule(tenant, hook);
      let [delivery] = await deliveries(tenant, `?job_id=${id}`);
      expect([delivery.status, delivery.attempts.length]).toEqual(['DEAD_LETTERED', 3]);
      expect((await deliveries(tenant, '?status=DEAD_LETTERED')).map((d) => d.id)).toEqual([delivery.id]);

      hook.respondWith((_req, res) => res.end('ok'));
      const retry = await tenant.post(`/sandbox/webhook-deliveries/${delivery.id}/retry`);
      expect([retry.status, retry.body.status]).toEqual([202, 'PENDING']);
      await hook.waitFor(4);
      await settled();
      [delivery] = await deliveries(tenant, `?job_id=${id}`);
      expect([delivery.status, delivery.attempts.length]).toEqual(['SUCCEEDED', 4]);
      expect((await tenant.post('/sandbox/webhook-deliveries/whd_nope/retry')).status).toBe(404);
    });

    it('treats a redirect as a failure and does not follow it', async () => {
      const tenant = api.as(`redirect-${Date.now()}`);
      const target = await receiver();
      const hook = await receiver();
      hook.respondWith((_req, res) => {
        res.statusCode = 302;
        res.setHeader('location', target.url);
        res.end();
      });
      await register(tenant, hook.url);
      await tenant.createJob();
      await hook.waitFor(1);
      await settled();
      const [delivery] = await deliveries(tenant);
      expect(delivery.status).toBe('PENDING');
      expect(delivery.attempts[0]).toMatchObject({ status_code: 302, error: expect.stringContaining('redirect') });
      expect(target.received).toHaveLength(0);
    });

    it('times out a receiver that never answers; another endpoint of the tenant still gets its delivery', async () => {
      const tenant = api.as(`slow-${Date.now()}`);
      const slow = await receiver();
      slow.respondWith(() => {
        /* never answers */
      });
      const fast = await receiver();
      await register(tenant, slow.url);
      await register(tenant, fast.url);
      await tenant.createJob();
      await fast.waitFor(1);
      await settled();
      const log = await deliveries(tenant);
      const slowDelivery = log.find((d) => d.url === slow.url);
      expect(slowDelivery.attempts[0].error).toMatch(/timeout/);
      expect(log.find((d) => d.url === fast.url).status).toBe('SUCCEEDED');
    });

    it('holds later events of a job behind a failing earlier one, in order', async () => {
      const tenant = api.as(`order-${Date.now()}`);
      const hook = await receiver();
      hook.respondWith((_req, res, i) => {
        res.statusCode = i === 0 ? 500 : 200;
        res.end();
      });
      await register(tenant, hook.url);
      const { id } = await tenant.createJob();
      await tenant.post(`/sandbox/jobs/${id}/advance`, { to: 'PICKING_FINISHED' });
      await hook.waitFor(1);
      await settled();
      expect(hook.received).toHaveLength(1);
      await tenant.advanceClock(61);
      await hook.waitFor(4);
      await settled();
      expect(hook.received.map((r) => r.json.type)).toEqual([
        'CREATED',
        'CREATED',
        'PICKING_STARTED',
        'PICKING_FINISHED',
      ]);
    });

    it('shows a delivery waiting behind a retrying one with no due time and the id it waits for', async () => {
      const tenant = api.as(`waiting-${Date.now()}`);
      await tenant.post('/sandbox/clock/freeze');
      const hook = await receiver();
      hook.respondWith((_req, res, i) => {
        res.statusCode = i === 0 ? 500 : 200;
        res.end();
      });
      await register(tenant, hook.url);
      const { id } = await tenant.createJob();
      await tenant.post(`/sandbox/jobs/${id}/advance`);
      await hook.waitFor(1);
      await settled();
      const [waiting, head] = await deliveries(tenant, `?job_id=${id}`);
      expect([head.event_type, head.status, head.waiting_for]).toEqual(['CREATED', 'PENDING', undefined]);
      expect([waiting.event_type, waiting.status, waiting.next_attempt_at, waiting.waiting_for]).toEqual([
        'PICKING_STARTED',
        'PENDING',
        null,
        head.id,
      ]);
      // A manual retry cannot make it overtake: the entry comes back unchanged and nothing is sent.
      const retried = await tenant.post(`/sandbox/webhook-deliveries/${waiting.id}/retry`);
      expect([retried.status, retried.body]).toEqual([202, waiting]);
      await settled();
      expect(hook.received).toHaveLength(1);
      await tenant.advanceClock(60);
      await hook.waitFor(3);
      await settled();
      const log = await deliveries(tenant, `?job_id=${id}`);
      expect(log.map((d) => [d.event_type, d.status, d.next_attempt_at, d.waiting_for])).toEqual([
        ['PICKING_STARTED', 'SUCCEEDED', null, undefined],
        ['CREATED', 'SUCCEEDED', null, undefined],
      ]);
    });

    it('keeps a failed manual retry of a dead-lettered delivery dead-lettered, with no schedule restarted', async () => {
      const tenant = api.as(`manual-fail-${Date.now()}`);
      await tenant.post('/sandbox/clock/freeze');
      const hook = await receiver();
      hook.respondWith((_req, res) => {
        res.statusCode = 500;
        res.end();
      });
      await register(tenant, hook.url);
      await tenant.createJob();
      await walkTheSchedule(tenant, hook);
      const [dead] = await deliveries(tenant);
      expect(dead.status).toBe('DEAD_LETTERED');
      expect((await tenant.post(`/sandbox/webhook-deliveries/${dead.id}/retry`)).status).toBe(202);
      await hook.waitFor(4);
      await settled();
      const [after] = await deliveries(tenant);
      expect([after.status, after.attempts.length, after.next_attempt_at]).toEqual(['DEAD_LETTERED', 4, null]);
    });

    it("never sends one tenant's events to another tenant's endpoint", async () => {
      const a = api.as(`iso-a-${Date.now()}`);
      const b = api.as(`iso-b-${Date.now()}`);
      const hookA = await receiver();
      const hookB = await receiver();
      await register(a, hookA.url);
      await register(b, hookB.url);
      const { id } = await a.createJob();
      await a.post(`/sandbox/jobs/${id}/advance`);
      await hookA.waitFor(2);
      await settled();
      expect(hookB.received).toHaveLength(0);
      expect(await deliveries(b)).toEqual([]);
      expect((await b.post(`/sandbox/webhook-deliveries/${(await deliveries(a))[0].id}/retry`)).status).toBe(404);
    });
  });

  describe('webhook endpoints', () => {
    it('generates a secret when none is given, shows it once, and lists endpoints without it', async () => {
      const tenant = api.as(`endpoints-${Date.now()}`);
      const created = await tenant.post('/sandbox/webhook-endpoints', { url: 'http://127.0.0.1:9/hooks' });
      expect(created.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
      const list = (await tenant.get('/sandbox/webhook-endpoints')).body;
      expect(list).toEqual([
        {
          id: created.body.id,
          url: 'http://127.0.0.1:9/hooks',
          created_at: expect.any(String),
          duplicate: false,
          delay_ms: 0,
        },
      ]);
      expect((await tenant.delete(`/sandbox/webhook-endpoints/${created.body.id}`)).status).toBe(204);
      expect((await tenant.delete(`/sandbox/webhook-endpoints/${created.body.id}`)).status).toBe(404);
    });

    it('allows at most 3 endpoints per tenant', async () => {
      const tenant = api.as(`limit-${Date.now()}`);
      for (let i = 0; i < 3; i++)
        expect((await tenant.post('/sandbox/webhook-endpoints', { url: `http://127.0.0.1:9/h${i}` })).status).toBe(201);
      const fourth = await tenant.post('/sandbox/webhook-endpoints', { url: 'http://127.0.0.1:9/h4' });
      expect([fourth.status, fourth.body.code]).toEqual([409, 'WEBHOOK_ENDPOINT_LIMIT']);
    });

    it.each([
      ['file:///etc/passwd'],
      ['gopher://127.0.0.1:70/'],
      ['http://user:pass@127.0.0.1/'],
      ['http://127.0.0.1/\r\nX-Injected: 1'],
      ['not a url'],
      ['ftp://example.com/'],
    ])('refuses %j with 422 naming url', async (url) => {
      const res = await api.post('/sandbox/webhook-endpoints', { url });
      expect(res.status).toBe(422);
      expect(res.body.errors[0].param).toBe('url');
    });

    it('with --webhook-allow-private=false, refuses loopback, private and link-local targets', async () => {
      const hosted = await startTestServer({ ...stores.serverConfig(), webhookAllowPrivate: false });
      try {
        for (const url of [
          'http://127.0.0.1/h',
          'http://10.1.2.3/h',
          'http://192.168.0.1/h',
          'http://169.254.169.254/latest',
          'http://[::1]/h',
          'http://localhost/h',
          'http://0.0.0.0/h',
        ]) {
          const res = await hosted.api.post('/sandbox/webhook-endpoints', { url });
          expect([url, res.status, res.body.code]).toEqual([url, 422, 'WEBHOOK_URL_REFUSED']);
        }
      } finally {
        await hosted.close();
      }
    });

    it('refuses a secret that is not base64', async () => {
      const res = await api.post('/sandbox/webhook-endpoints', {
        url: 'http://127.0.0.1:9/',
        secret: 'not base64 at all!!',
      });
      expect([res.status, res.body.errors[0].param]).toEqual([422, 'secret']);
    });

    it('keeps the delivery log within its bound: the oldest finished deliveries make room, pending ones never', async () => {
      const { config } = api.server.outbox;
      const bound = config.maxDeliveriesPerTenant;
      config.maxDeliveriesPerTenant = 12;
      try {
        const tenant = api.as(`log-bound-${Date.now()}`);
        const hook = await receiver();
        await register(tenant, hook.url);
        const first = await tenant.createJob();
        await tenant.post(`/sandbox/jobs/${first.id}/advance`, { to: 'DELIVERING_STARTED' });
        await hook.waitFor(8);
        await settled();
        // Nine more in one step (CREATED and seven steps of a second job) pass the bound of 12 by 5.
        const second = await tenant.createJob();
        await tenant.post(`/sandbox/jobs/${second.id}/advance`, { to: 'DELIVERING_STARTED' });
        await hook.waitFor(16);
        await settled();
        const log = await deliveries(tenant, '?limit=100');
        expect(log).toHaveLength(12);
        expect(log.filter((d) => d.job_id === second.id)).toHaveLength(8);
        expect(
          log
            .filter((d) => d.job_id === first.id)
            .map((d) => d.event_type)
            .reverse(),
        ).toEqual(STEPS.slice(4, 8));

        // A receiver that fails leaves its deliveries pending: they are kept past the bound.
        hook.respondWith((_req, res) => {
          res.statusCode = 500;
          res.end();
        });
        const third = await tenant.createJob();
        await tenant.post(`/sandbox/jobs/${third.id}/advance`, { to: 'CHECKED_OUT' });
        await hook.waitFor(17);
        await settled();
        const after = await deliveries(tenant, '?limit=100');
        expect(after.filter((d) => d.job_id === third.id)).toHaveLength(5);
        expect(after.filter((d) => d.status === 'PENDING')).toHaveLength(5);
        expect(after).toHaveLength(12);
        // Eight more pending: only the seven finished ones left can go, so the log holds 13.
        const fourth = await tenant.createJob();
        await tenant.post(`/sandbox/jobs/${fourth.id}/advance`, { to: 'DELIVERING_STARTED' });
        await hook.waitFor(18);
        await settled();
        const full = await deliveries(tenant, '?limit=100');
        expect(full).toHaveLength(13);
        expect(full.every((d) => d.status === 'PENDING')).toBe(true);
      } finally {
        config.maxDeliveriesPerTenant = bound;
      }
    });

    it('takes 16 clients at once on one tenant with an endpoint: every request answered, every event delivered', async () => {
      // A server of its own with the default 5 s timeout: on a loaded machine the suite's
      // 300 ms would turn slow answers into retries a minute later on the tenant clock.
      const busy = await startTestServer(stores.serverConfig());
      try {
        const tenant = busy.api.as(`busy-${Date.now()}`);
        const hook = await receiver();
        await register(tenant, hook.url);
        const statuses: number[] = [];
        await Promise.all(
          Array.from({ length: 16 }, async () => {
            for (let i = 0; i < 3; i++) {
              const created = await tenant.post('/jobs', {
                ...minimalCreateJobRequest(),
                slot_id: await tenant.slotId(),
              });
              statuses.push(created.status);
              if (created.status !== 201) continue;
              statuses.push(
                (await tenant.post(`/sandbox/jobs/${created.body.job_id}/advance`, { to: 'CLIENT_RECEIVED' })).status,
              );
            }
          }),
        );
        expect(statuses.filter((s) => s !== 200 && s !== 201)).toEqual([]);
        await hook.waitFor(48 * 9, 25_000);
        expect(new Set(hook.received.map((r) => r.json.id)).size).toBe(48 * 9);
      } finally {
        await busy.close();
      }
    }, 40_000);

    it('dead-letters pending deliveries of a removed endpoint', async () => {
      const tenant = api.as(`removed-${Date.now()}`);
      const hook = await receiver();
      hook.respondWith((_req, res) => {
        res.statusCode = 500;
        res.end();
      });
      const endpoint = await register(tenant, hook.url);
      await tenant.createJob();
      await hook.waitFor(1);
      await settled();
      await tenant.delete(`/sandbox/webhook-endpoints/${endpoint}`);
      const [delivery] = await deliveries(tenant);
      expect(delivery.status).toBe('DEAD_LETTERED');
      const retry = await tenant.post(`/sandbox/webhook-deliveries/${delivery.id}/retry`);
      expect([retry.status, retry.body.code]).toEqual([409, 'WEBHOOK_ENDPOINT_DELETED']);
      await settled();
      expect(hook.received).toHaveLength(1);
    });
  });

  describe('shutdown', () => {
    it('gives pending deliveries one last try and reports how many remain undelivered', async () => {
      const own = await startTestServer({ ...stores.serverConfig(), webhookRetrySchedule: [600] });
      const up = await receiver();
      const down = await receiver();
      down.respondWith((_req, res) => {
        res.statusCode = 500;
        res.end();
      });
      await register(own.api, up.url);
      await register(own.api, down.url);
      await own.api.createJob();
      await up.waitFor(1);
      await down.waitFor(1);
      await new Promise((r) => setImmediate(r));
      await own.server.outbox.idle();
      up.respondWith((_req, res) => {
        res.statusCode = 500;
        res.end();
      });
      down.respondWith((_req, res) => res.end('ok'));
      // The failed delivery is not due for 600 s; shutdown tries it once more anyway.
      const { undelivered } = await own.close();
      expect(undelivered).toBe(0);
      expect(down.received).toHaveLength(2);
      expect(up.received).toHaveLength(1);
    });

    it('counts what the last try could not deliver', async () => {
      const own = await startTestServer({ ...stores.serverConfig(), webhookRetrySchedule: [600] });
      const down = await receiver();
      down.respondWith((_req, res) => {
        res.statusCode = 500;
        res.end();
      });
      await register(own.api, down.url);
      const { id } = await own.api.createJob();
      await own.api.post(`/sandbox/jobs/${id}/advance`);
      await down.waitFor(1);
      await new Promise((r) => setImmediate(r));
      await own.server.outbox.idle();
      const { undelivered } = await own.close();
      expect(undelivered).toBe(2);
      expect(down.received.map((r) => r.json.type)).toEqual(['CREATED', 'CREATED']);
    });
  });

  describe('connection pools', () => {
    it('keeps a hanging endpoint from holding up another on the same host and port', async () => {
      const own = await startTestServer({ ...stores.serverConfig(), webhookTimeoutMs: 60_000 });
      const shared = await receiver();
      shared.respondWith((req, res) => {
        if (!req.url?.endsWith('/slow')) res.end('ok');
      });
      try {
        await register(own.api, `${shared.url}/slow`);
        await register(own.api, `${shared.url}/fast`);
        const jobs = 40;
        const slots = await own.api.slots({ slot_size: 15, end: '2026-11-28T04:00:00Z' });
        for (let i = 0; i < jobs; i++) await own.api.createJob({ slot_id: slots[i].id });
        // 40 hanging requests to /slow would fill a pool shared with /fast; /fast must still
        // get all 40 long before the 60 s timeout frees anything (the wait bound is generous,
        // not a speed target: a shared pool would miss it by 45 s).
        await shared.waitFor(jobs, 15_000, '/fast');
        expect(shared.received.filter((r) => r.url.endsWith('/fast')).map((r) => r.json.type)).toEqual(
          Array(jobs).fill('CREATED'),
        );
      } finally {
        await own.server.sandbox.reset(own.api.key);
        await own.close();
      }
    });
  });
});
