/**
 * `lastmile listen` against an in-process sandbox: deliveries reach the local port through the
 * relay with the sandbox's own headers, body and signatures; the local answer settles each
 * attempt (a 500 is retried on the tenant clock, in order); a broken stream is reopened; a
 * stopped listener's relay fails its attempts, then is removed after the grace period and its
 * pending deliveries dead-lettered. Retries are reached by advancing the tenant clock.
 */
import { Webhook } from 'standardwebhooks';
import { startTestServer, type TestApi } from '../test/support/harness';
import { Receiver } from '../test/support/receiver';
import type { RunningServer } from '../server/main';
import { EventStreamParser, listen, type Listening } from './listen';

const RETRY_SECONDS = 10;
const GRACE_SECONDS = 100;

let server: RunningServer;
let api: TestApi;
let close: () => Promise<unknown>;

beforeAll(async () => {
  ({ server, api, close } = await startTestServer({
    webhookRetrySchedule: [RETRY_SECONDS, RETRY_SECONDS],
    webhookRelayGraceSeconds: GRACE_SECONDS,
  }));
});

afterAll(() => close());

/** Polls the delivery log (state on the server) until `ready` holds. */
async function logWhen(tenant: TestApi, ready: (log: any[]) => boolean, what: string): Promise<any[]> {
  for (let i = 0; i < 500; i++) {
    const res = await tenant.get('/sandbox/webhook-deliveries?limit=1000');
    if (ready(res.body)) return res.body;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`the delivery log never showed ${what}`);
}

async function relayConnected(tenant: TestApi, endpointId: string): Promise<boolean | undefined> {
  const endpoints = (await tenant.get('/sandbox/webhook-endpoints')).body as any[];
  return endpoints.find((e) => e.id === endpointId)?.relay?.connected;
}

async function untilConnected(tenant: TestApi, endpointId: string, connected: boolean): Promise<void> {
  for (let i = 0; i < 500 && (await relayConnected(tenant, endpointId)) !== connected; i++)
    await new Promise((resolve) => setTimeout(resolve, 10));
  expect(await relayConnected(tenant, endpointId)).toBe(connected);
}

describe('lastmile listen, in process', () => {
  let local: Receiver;
  let listening: Listening;
  const printed: string[] = [];
  const warned: string[] = [];
  let tenant: TestApi;

  beforeAll(async () => {
    tenant = api.as(`listen-${Date.now()}`);
    local = await new Receiver((_req, res, index) => {
      res.statusCode = index === 0 ? 500 : 200;
      res.setHeader('content-type', 'text/plain');
      res.end(index === 0 ? 'not yet' : 'ok');
    }).start();
    listening = await listen({
      baseUrl: server.url,
      apiKey: tenant.key,
      forwardTo: local.url,
      print: (line) => printed.push(line),
      warn: (line) => warned.push(line),
    });
    await listening.ready();
  });

  afterAll(async () => {
    await listening.stop();
    await local.stop();
  });

  it('opens a relay endpoint that the endpoint list shows, connected', async () => {
    const endpoints = (await tenant.get('/sandbox/webhook-endpoints')).body as any[];
    expect(endpoints).toEqual([
      expect.objectContaining({
        id: listening.endpointId,
        url: `relay:${listening.endpointId}`,
        relay: { connected: true },
      }),
    ]);
    expect(listening.secret).toMatch(/^whsec_/);
  });

  it('forwards every event in order with the signatures of a direct delivery; a 500 is retried on the tenant clock', async () => {
    const { id: jobId } = await tenant.createJob();
    for (let i = 0; i < 2; i++) expect((await tenant.post(`/sandbox/jobs/${jobId}/advance`)).status).toBe(200);
    // The first answer is a 500: the later events wait behind it, in order.
    await local.waitFor(1);
    const first = await logWhen(
      tenant,
      (log) => log.some((d) => d.attempts.length === 1 && d.status === 'PENDING'),
      'the 500',
    );
    const failed = first.find((d) => d.attempts.length === 1);
    expect(failed.event_type).toBe('CREATED');
    expect(failed.attempts[0]).toEqual(
      expect.objectContaining({
        status_code: 500,
        error: 'HTTP 500',
        response: {
          status_code: 500,
          headers: expect.objectContaining({ 'content-type': 'text/plain' }),
          body: 'not yet',
          body_truncated: false,
        },
      }),
    );
    expect(local.received).toHaveLength(1);
    // The retry is due on the tenant clock, not after real seconds.
    await tenant.advanceClock(RETRY_SECONDS);
    const settled = await logWhen(
      tenant,
      (log) => log.length === 3 && log.every((d) => d.status === 'SUCCEEDED'),
      'all three delivered',
    );
    expect(local.received.map((r) => r.json.type)).toEqual([
      'CREATED',
      ...[...settled].reverse().map((d) => d.event_type),
    ]);
    const retried = settled.find((d) => d.id === failed.id);
    expect(retried.attempts.map((a: any) => a.status_code)).toEqual([500, 200]);
    expect(Date.parse(retried.attempts[1].at) - Date.parse(retried.attempts[0].at)).toBeGreaterThanOrEqual(
      RETRY_SECONDS * 1000,
    );
    // Exactly what a direct delivery carries: the body, and both signatures with the relay's secret.
    for (const received of local.received) {
      const headers = received.headers as Record<string, string>;
      expect(() =>
        new Webhook(listening.secret).verify(received.body, {
          'webhook-id': headers['webhook-id'],
          'webhook-timestamp': headers['webhook-timestamp'],
          'webhook-signature': headers['webhook-signature'],
        }),
      ).not.toThrow();
      expect(headers['instaleap-signature']).toMatch(/^[0-9a-f]{64}$/);
    }
    // The log keeps the headers each attempt was sent with: those that arrived.
    const lastSent = retried.attempts[1].request_headers;
    const lastArrived = local.received[1].headers as Record<string, string>;
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature', 'content-type'])
      expect(lastSent[name]).toBe(lastArrived[name]);
    expect(lastSent['InstaLeap-Signature']).toBe(lastArrived['instaleap-signature']);
    // One line per delivery attempt: time, event type, job id, local status, latency.
    expect(printed).toHaveLength(4);
    expect(printed[0]).toMatch(new RegExp(`^\\d\\d:\\d\\d:\\d\\d\\.\\d{3}  CREATED +job ${jobId}  500  \\d+ ms$`));
    expect(printed[1]).toMatch(/ 200 /);
  });

  it('reopens a broken stream on the same relay endpoint, and deliveries flow again', async () => {
    const before = local.received.length;
    server.outbox.relays.closeStreams();
    for (let i = 0; i < 500 && !warned.some((w) => w.includes('reconnecting')); i++)
      await new Promise((resolve) => setTimeout(resolve, 10));
    expect(warned.join('\n')).toMatch(/stream ended; reconnecting/);
    await listening.ready();
    await untilConnected(tenant, listening.endpointId, true);
    await tenant.createJob();
    await local.waitFor(before + 1);
    expect(local.received[before].json.type).toBe('CREATED');
  });

  it('stopped: attempts fail and are retried within the grace period; after it the relay goes and its deliveries are dead-lettered', async () => {
    await listening.stop();
    await untilConnected(tenant, listening.endpointId, false);
    const { id: jobId } = await tenant.createJob();
    const pending = await logWhen(
      tenant,
      (log) => log.some((d) => d.job_id === jobId && d.attempts.length === 1),
      'the failed attempt',
    );
    const entry = pending.find((d) => d.job_id === jobId);
    expect(entry.status).toBe('PENDING');
    expect(entry.attempts[0].error).toMatch(/relay not connected/);
    expect(entry.attempts[0].request_headers).toBeUndefined();
    // Still within the grace period: retried on schedule, failing again.
    await tenant.advanceClock(RETRY_SECONDS);
    await logWhen(tenant, (log) => log.find((d) => d.id === entry.id)?.attempts.length === 2, 'the retry');
    // Past the grace period: the relay endpoint is removed, its pending deliveries dead-lettered.
    await tenant.advanceClock(GRACE_SECONDS);
    const dead = await logWhen(
      tenant,
      (log) => log.find((d) => d.id === entry.id)?.status === 'DEAD_LETTERED',
      'the dead letter',
    );
    expect(dead.find((d) => d.id === entry.id).attempts).toHaveLength(2);
    expect((await tenant.get('/sandbox/webhook-endpoints')).body).toEqual([]);
    expect((await tenant.get(`/sandbox/webhook-relays/${listening.endpointId}/stream`)).status).toBe(404);
  });
});

describe('the relay operations refuse what is not theirs', () => {
  it("a stream or an answer for an endpoint that is not a relay, or another tenant's, is 404", async () => {
    const owner = api.as(`relay-owner-${Date.now()}`);
    const relay = await owner.post('/sandbox/webhook-relays', {});
    expect(relay.status).toBe(201);
    expect(relay.body).toEqual(
      expect.objectContaining({ relay: { connected: false }, secret: expect.stringMatching(/^whsec_/) }),
    );
    const direct = await owner.post('/sandbox/webhook-endpoints', { url: 'http://127.0.0.1:9/hooks' });
    const stranger = api.as(`relay-stranger-${Date.now()}`);
    const answer = { attempt_id: 'rla_x', status_code: 200 };
    expect((await stranger.post(`/sandbox/webhook-relays/${relay.body.id}/results`, answer)).status).toBe(404);
    expect((await owner.post(`/sandbox/webhook-relays/${direct.body.id}/results`, answer)).status).toBe(404);
    expect((await owner.get(`/sandbox/webhook-relays/${direct.body.id}/stream`)).body.code).toBe(
      'WEBHOOK_ENDPOINT_NOT_FOUND',
    );
    // An answer nobody waits for any more is taken and ignored.
    expect((await owner.post(`/sandbox/webhook-relays/${relay.body.id}/results`, answer)).status).toBe(204);
    expect((await owner.post(`/sandbox/webhook-relays/${relay.body.id}/results`, { status_code: 200 })).status).toBe(
      422,
    );
  });
});

describe('EventStreamParser', () => {
  it('reads events split across chunks, skipping comments', () => {
    const parser = new EventStreamParser();
    expect(parser.push(': keep-alive\n\nevent: ready\nda')).toEqual([]);
    expect(parser.push('ta: {"a":1}\r\n\r\nevent: delivery\ndata: x\ndata: y\n\n')).toEqual([
      { event: 'ready', data: '{"a":1}' },
      { event: 'delivery', data: 'x\ny' },
    ]);
  });
});
