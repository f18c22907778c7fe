/**
 * A user's own tenant is theirs: in shared-tenant mode the kit never resets it, moves its
 * clock or touches its webhook endpoints unless --allow-reset says so, and the checks that
 * would have to skip with a reason that says exactly that.
 */
import { serve, SERVE_STARTUP_TIMEOUT_MS, type ServedProcess } from '../../test/support/serve';
import { chooseTenancy, runConformance } from './runner';
import type { RunResult } from '../checks/result';

const KEY = 'staging-real-key';
const OTHER = 'staging-other-key';

async function api(server: ServedProcess, method: string, path: string, body?: unknown, key = KEY): Promise<any> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { 'x-api-key': key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return response.json();
}

/** The user's own data: a job, a webhook endpoint and a clock moved forward. */
async function seedUserData(server: ServedProcess, key = KEY): Promise<void> {
  await api(server, 'POST', '/sandbox/reset', undefined, key);
  const slots = await api(
    server,
    'POST',
    '/jobs/availability/v2',
    {
      origin: { name: 'Store', address: 'A 1', latitude: 19.4, longitude: -99.2 },
      destination: { name: 'Ana', address: 'B 2', latitude: 19.43, longitude: -99.19 },
      job_items: [{ id: 'SKU-1', name: 'Milk', unit: 'piece', quantity: 1, price: 10 }],
      currency_code: 'MXN',
      start: '2026-12-01T16:00:00Z',
      end: '2026-12-01T17:00:00Z',
      slot_size: 60,
    },
    key,
  );
  await api(
    server,
    'POST',
    '/jobs',
    {
      slot_id: slots[0].id,
      client_reference: 'USER-OWN-ORDER',
      recipient: { name: 'Ana', phone_number: '+525512345678' },
      payment_info: {
        currency_code: 'MXN',
        prices: { order_value: 10 },
        payment: { method: 'CASH', payment_status: 'PENDING' },
      },
    },
    key,
  );
  await api(server, 'POST', '/sandbox/webhook-endpoints', { url: 'http://127.0.0.1:9/user-receiver' }, key);
  await api(server, 'POST', '/sandbox/clock/advance', { seconds: 4242 }, key);
}

async function snapshot(server: ServedProcess, key = KEY) {
  const jobs = await api(server, 'GET', '/sandbox/jobs?limit=1000', undefined, key);
  const endpoints = await api(server, 'GET', '/sandbox/webhook-endpoints', undefined, key);
  const clock = await api(server, 'GET', '/sandbox/clock', undefined, key);
  const list = Array.isArray(jobs) ? jobs : (jobs.jobs ?? jobs.items ?? []);
  return {
    userJob: list.some((j: any) => j.client_reference === 'USER-OWN-ORDER'),
    endpoints: (Array.isArray(endpoints) ? endpoints : (endpoints.items ?? [])).map((e: any) => e.url),
    offset: clock.offset_seconds,
  };
}

describe('a shared tenant the kit did not create', () => {
  let server: ServedProcess;
  beforeAll(async () => {
    server = await serve(['--api-keys', `${KEY},${OTHER}`]);
  }, SERVE_STARTUP_TIMEOUT_MS);
  afterAll(() => server.close());

  const sandboxWide = [
    'SLOT-EXPIRED-417',
    'SANDBOX-CLOCK-ADVANCE',
    'WEBHOOK-ENDPOINT-LIMIT-409',
    'WEBHOOK-LIFECYCLE-EVENTS',
  ];

  it.each([
    ['--shared-tenant', { sharedTenant: true }],
    ['keys restricted, so shared automatically', {}],
  ])(
    'is never reset, its clock and endpoints never changed, without --allow-reset (%s)',
    async (_label, extra) => {
      await seedUserData(server);
      const before = await snapshot(server);
      const notices: string[] = [];
      const run: RunResult = await runConformance({
        baseUrl: server.url,
        apiKey: KEY,
        secondApiKey: OTHER,
        only: [...sandboxWide, 'JOB-LIFECYCLE-STEPS', 'SANDBOX-HEALTH'],
        onNotice: (m) => notices.push(m),
        ...extra,
      });
      expect(await snapshot(server)).toEqual(before);
      expect(before).toEqual({
        userJob: true,
        endpoints: ['http://127.0.0.1:9/user-receiver'],
        offset: expect.any(Number),
      });
      const calls = run.checks.flatMap((c) => c.exchanges.map((e) => e.operationId));
      expect(
        calls.filter((op) =>
          ['resetTenant', 'advanceClock', 'createWebhookEndpoint', 'deleteWebhookEndpoint'].includes(op),
        ),
      ).toEqual([]);
      const skipped = run.checks.filter((c) => c.status === 'skipped');
      expect(skipped.map((c) => c.id).sort()).toEqual([...sandboxWide].sort());
      for (const check of skipped)
        expect(check.reason).toMatch(
          /^needs a tenant of its own: \w+ would change the whole tenant of --api-key, .*pass --allow-reset/,
        );
      // Checks that only drive the kit's own jobs still run.
      expect(
        run.checks
          .filter((c) => c.status === 'passed')
          .map((c) => c.id)
          .sort(),
      ).toEqual(['JOB-LIFECYCLE-STEPS', 'SANDBOX-HEALTH']);
      expect(run.notices).toEqual(notices);
      expect(notices[0]).toMatch(/it is never reset/);
    },
    60_000,
  );

  it('resets it only with --allow-reset, and then every check passes', async () => {
    await seedUserData(server);
    const run = await runConformance({
      baseUrl: server.url,
      apiKey: KEY,
      secondApiKey: OTHER,
      allowReset: true,
      only: sandboxWide,
    });
    expect(run.checks.map((c) => [c.id, c.status, c.failures.map((f) => f.message)])).toEqual(
      run.checks.map((c) => [c.id, 'passed', []]),
    );
    expect((await snapshot(server)).userJob).toBe(false);
    expect(run.notices?.[0]).toMatch(/--allow-reset: it is reset before each sandbox check/);
  }, 60_000);

  it('never changes a --second-api-key tenant either, even with fresh tenants for --api-key', async () => {
    const open = await serve();
    try {
      await seedUserData(open, OTHER);
      const before = await snapshot(open, OTHER);
      const run = await runConformance({
        baseUrl: open.url,
        apiKey: 'whatever',
        secondApiKey: OTHER,
        only: ['ISOLATION-WEBHOOKS'],
      });
      expect(await snapshot(open, OTHER)).toEqual(before);
      expect(run.checks[0]).toMatchObject({
        status: 'skipped',
        reason: expect.stringMatching(/createWebhookEndpoint would change the whole tenant of --second-api-key/),
      });
    } finally {
      await open.close();
    }
  }, 60_000);
});

describe('the reason a second tenant is missing', () => {
  it('names the flag when --shared-tenant caused it, not the implementation', () => {
    const second = chooseTenancy({ apiKey: 'k', sharedTenant: true }, true).keys.second;
    expect(second).toEqual({ unavailable: expect.stringContaining('--shared-tenant was given') });
    expect(JSON.stringify(second)).not.toMatch(/does not accept any key/);
  });
  it('says random keys are refused when that caused it', () => {
    expect(chooseTenancy({ apiKey: 'k' }, false).keys.second).toEqual({
      unavailable: expect.stringContaining('the implementation refuses random keys'),
    });
  });
  it('keeps fresh tenants, unguarded, when any key opens one', () => {
    const tenancy = chooseTenancy({ apiKey: 'k' }, true);
    expect([tenancy.shared, tenancy.keys.second, tenancy.keys.protectedTenants, tenancy.notice]).toEqual([
      false,
      undefined,
      undefined,
      undefined,
    ]);
  });
});
