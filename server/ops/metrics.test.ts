/**
 * GET /metrics: off by default (a 404 like any unknown route), and with --metrics the
 * Prometheus text format with requests by operation and status, latencies, webhook attempts
 * by outcome, the outbox's backlog and its oldest due delivery, and the tenants; label values
 * are operation ids, statuses and outcomes, never a key or a path.
 */
import type { Send } from '../webhooks/sender';
import { startTestServer, type TestApi } from '../../test/support/harness';
import type { RunningServer } from '../main';

/** Every sample of a scrape: `name{labels}` → value. */
async function scrape(server: RunningServer): Promise<{ text: string; samples: Map<string, number>; type: string }> {
  const res = await fetch(`${server.url}/metrics`);
  expect(res.status).toBe(200);
  const text = await res.text();
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return { text, samples, type: res.headers.get('content-type') ?? '' };
}

it('is off by default: GET /metrics is a 404 like any unknown route', async () => {
  const { server, close } = await startTestServer();
  try {
    const res = await fetch(`${server.url}/metrics`);
    expect([res.status, ((await res.json()) as { code: string }).code]).toEqual([404, 'ROUTE_NOT_FOUND']);
  } finally {
    await close();
  }
});

describe('with --metrics', () => {
  let server: RunningServer;
  let api: TestApi;
  let close: () => Promise<unknown>;
  /** Attempts to /hang wait here until the test lets them answer. */
  let release: (ok: boolean) => void = () => undefined;
  const hanging = new Promise<boolean>((resolve) => {
    release = resolve;
  });
  const send: Send = async (url) => {
    if (url.endsWith('/ok')) return { ok: true, attempt: { status_code: 204 } };
    if (url.endsWith('/hang')) {
      const ok = await hanging;
      return { ok, attempt: { status_code: ok ? 204 : 500 } };
    }
    return { ok: false, attempt: { status_code: 500 } };
  };

  beforeAll(async () => {
    ({ server, api, close } = await startTestServer(
      { metrics: true, webhookRetrySchedule: [60] },
      { webhookTransport: send },
    ));
  });
  afterAll(async () => {
    release(true);
    await close();
  });

  it('counts requests by operation id and status, with a latency histogram per operation', async () => {
    const secretKey = 'tenant-key-that-must-not-show';
    const tenant = api.as(secretKey);
    await tenant.createJob();
    expect((await tenant.get('/jobs/job_does_not_exist')).status).toBe(404);
    expect((await tenant.get('/jobs/job_does_not_exist')).status).toBe(404);
    expect((await api.get('/healthz')).status).toBe(200);
    expect((await api.get('/readyz')).body).toEqual({ status: 'ready', store: 'memory' });
    expect((await api.get('/no/such/route/for-a-path-label')).status).toBe(404);
    const { text, samples, type } = await scrape(server);
    expect(type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(samples.get('lastmile_http_requests_total{operation="createJob",status="201"}')).toBe(1);
    expect(samples.get('lastmile_http_requests_total{operation="getJob",status="404"}')).toBe(2);
    expect(samples.get('lastmile_http_requests_total{operation="getHealth",status="200"}')).toBe(1);
    expect(samples.get('lastmile_http_requests_total{operation="getReadiness",status="200"}')).toBe(1);
    expect(samples.get('lastmile_http_requests_total{operation="other",status="404"}')).toBe(1);
    expect(samples.get('lastmile_http_request_duration_seconds_count{operation="getJob"}')).toBe(2);
    expect(samples.get('lastmile_http_request_duration_seconds_bucket{le="+Inf",operation="getJob"}')).toBe(2);
    // Bounded labels: no key, no path, no id.
    expect(text).not.toContain(secretKey);
    expect(text).not.toContain('job_does_not_exist');
    expect(text).not.toContain('for-a-path-label');
    const operationLabels = new Set([...text.matchAll(/operation="([^"]*)"/g)].map((m) => m[1]));
    expect([...operationLabels].filter((op) => !/^[a-z][A-Za-z]+$/.test(op))).toEqual([]);
  });

  it('counts webhook attempts by outcome, and reads the backlog, its oldest due delivery and the tenants', async () => {
    const before = await scrape(server);
    const attempts = (s: Map<string, number>, outcome: string) =>
      s.get(`lastmile_webhook_attempts_total{outcome="${outcome}"}`) ?? NaN;
    const hooks = api.as('metrics-hooks');
    await hooks.post('/sandbox/clock/freeze');
    for (const path of ['ok', 'fail', 'hang'])
      expect((await hooks.post('/sandbox/webhook-endpoints', { url: `http://127.0.0.1:9/${path}` })).status).toBe(201);
    await hooks.createJob();
    // Three deliveries: the first attempt to /ok succeeds, to /fail fails (one retry left), to /hang waits.
    for (
      let look = 0;
      look < 400 && attempts((await scrape(server)).samples, 'failed') < attempts(before.samples, 'failed') + 1;
      look++
    )
      await new Promise((r) => setTimeout(r, 10));
    await hooks.advanceClock(45);
    let after = await scrape(server);
    expect(attempts(after.samples, 'succeeded') - attempts(before.samples, 'succeeded')).toBe(1);
    expect(attempts(after.samples, 'failed') - attempts(before.samples, 'failed')).toBe(1);
    expect(after.samples.get('lastmile_outbox_pending_deliveries')).toBe(2);
    // The attempt to /hang has been due since the job was made, 45 s ago on the frozen tenant clock.
    expect(after.samples.get('lastmile_outbox_oldest_due_age_seconds')).toBe(45);
    expect(after.samples.get('lastmile_active_tenants')).toBeGreaterThanOrEqual(2);
    // The retry of /fail comes due at 60 s and fails for good; /hang answers 500 and waits for its retry.
    await hooks.advanceClock(15);
    release(false);
    for (
      let look = 0;
      look < 400 && attempts(after.samples, 'dead_lettered') === attempts(before.samples, 'dead_lettered');
      look++
    ) {
      await new Promise((r) => setTimeout(r, 10));
      after = await scrape(server);
    }
    for (
      let look = 0;
      look < 400 && attempts(after.samples, 'failed') < attempts(before.samples, 'failed') + 2;
      look++
    ) {
      await new Promise((r) => setTimeout(r, 10));
      after = await scrape(server);
    }
    expect(attempts(after.samples, 'dead_lettered') - attempts(before.samples, 'dead_lettered')).toBe(1);
    expect(attempts(after.samples, 'failed') - attempts(before.samples, 'failed')).toBe(2);
    expect(after.samples.get('lastmile_outbox_pending_deliveries')).toBe(1);
    expect(after.samples.get('lastmile_outbox_oldest_due_age_seconds')).toBe(0);
  });
});
