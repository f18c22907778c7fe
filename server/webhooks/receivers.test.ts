/**
 * Receivers that misbehave: every delivery still ends (succeeded, retried, dead-lettered)
 * and is logged, retries come from the tenant clock, the API and healthy endpoints are
 * never held up, and no answer is buffered beyond 2 KB.
 */
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { Receiver, type Responder } from '../../test/support/receiver';
import { startTestServer, type TestApi } from '../../test/support/harness';
import type { RunningServer } from '../main';

const TIMEOUT_MS = 150;
let server: RunningServer;
let api: TestApi;
let close: () => Promise<unknown>;
const receivers: Receiver[] = [];
const sockets = new Set<net.Socket>();
let hanging: net.Server;
let hangingUrl = '';
let faultsSurvived = 0;

async function receiver(responder: Responder): Promise<Receiver> {
  const r = await new Receiver(responder).start();
  receivers.push(r);
  return r;
}

async function settled(): Promise<void> {
  await new Promise((r) => setImmediate(r));
  await server.outbox.idle();
}

let bigBodyWritten = 0;
let bigBodyAborted = false;

const faults: Array<[string, () => Promise<string>, RegExp]> = [
  [
    'slow past the timeout',
    async () =>
      (
        await receiver((_req, res) => {
          setTimeout(() => res.end('late'), TIMEOUT_MS * 3);
        })
      ).url,
    /timeout/,
  ],
  ['connection reset', async () => (await receiver((req) => req.socket.destroy())).url, /ECONNRESET|socket hang up/],
  [
    '500 forever',
    async () =>
      (
        await receiver((_req, res) => {
          res.statusCode = 500;
          res.end('boom');
        })
      ).url,
    /HTTP 500/,
  ],
  [
    'redirect',
    async () =>
      (
        await receiver((_req, res) => {
          res.statusCode = 307;
          res.setHeader('location', 'http://127.0.0.1:9/elsewhere');
          res.end();
        })
      ).url,
    /redirect/,
  ],
  ['accept then hang', async () => hangingUrl, /timeout/],
];

beforeAll(async () => {
  ({ server, api, close } = await startTestServer({ webhookTimeoutMs: TIMEOUT_MS, webhookRetrySchedule: [60, 600] }));
  // Accepts connections, reads nothing, answers nothing.
  hanging = net.createServer((socket) => {
    sockets.add(socket);
    socket.pause();
  });
  await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
  hangingUrl = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/hooks`;
});
afterAll(async () => {
  await close();
  await Promise.all(receivers.map((r) => r.stop()));
  for (const s of sockets) s.destroy();
  await new Promise((r) => hanging.close(r));
  if (process.env.RELIABILITY_STATS) process.stdout.write(`receivers: ${faultsSurvived} receiver faults survived\n`);
});

describe.each(faults)('a receiver that answers with: %s', (_name, makeUrl, error) => {
  it('is retried on the tenant clock, then dead-lettered, every attempt logged; nothing else waits for it', async () => {
    const tenant = api.as(`fault-${randomUUID()}`);
    const healthyTenant = api.as(`healthy-${randomUUID()}`);
    const healthy = await receiver((_req, res) => res.end('ok'));
    await tenant.post('/sandbox/webhook-endpoints', { url: await makeUrl() });
    await tenant.post('/sandbox/webhook-endpoints', { url: healthy.url });
    await healthyTenant.post('/sandbox/webhook-endpoints', { url: healthy.url });

    const { id } = await tenant.createJob();
    await healthyTenant.createJob();
    expect((await api.get('/healthz', { key: null })).status).toBe(200);
    // The healthy endpoint, of this tenant and of another, gets its delivery. That it is not
    // held up by a hanging one is shown without a stopwatch in outbox.test.ts (connection pools).
    await healthy.waitFor(2);

    await settled();
    for (const seconds of [61, 601]) {
      await tenant.advanceClock(seconds);
      await settled();
    }
    const log = (await tenant.get(`/sandbox/webhook-deliveries?job_id=${id}`)).body;
    const faulty = log.find((d: any) => d.url !== healthy.url);
    expect([faulty.status, faulty.attempts.length, faulty.next_attempt_at]).toEqual(['DEAD_LETTERED', 3, null]);
    for (const attempt of faulty.attempts) expect(attempt.error).toMatch(error);
    expect(log.find((d: any) => d.url === healthy.url).status).toBe('SUCCEEDED');
    faultsSurvived += 1;
  });
});

it('reads no more than 2 KB of a 50 MB answer, closes the socket, and still counts the 2xx', async () => {
  const chunk = Buffer.alloc(64 * 1024, 'x');
  const flood = await receiver((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(50 * 1024 * 1024) });
    const pump = () => {
      while (bigBodyWritten < 50 * 1024 * 1024) {
        bigBodyWritten += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      res.end();
    };
    res.on('close', () => {
      bigBodyAborted = bigBodyWritten < 50 * 1024 * 1024;
    });
    pump();
  });
  const tenant = api.as(`flood-${randomUUID()}`);
  await tenant.post('/sandbox/webhook-endpoints', { url: flood.url });
  const rssBefore = process.memoryUsage().rss;
  const { id } = await tenant.createJob();
  await flood.waitFor(1);
  await settled();
  await new Promise((r) => setTimeout(r, 50));
  const [delivery] = (await tenant.get(`/sandbox/webhook-deliveries?job_id=${id}`)).body;
  expect(delivery.status).toBe('SUCCEEDED');
  expect(delivery.last_response_body.length).toBeLessThanOrEqual(2048);
  expect(bigBodyAborted).toBe(true);
  expect(bigBodyWritten).toBeLessThan(16 * 1024 * 1024);
  expect(process.memoryUsage().rss - rssBefore).toBeLessThan(40 * 1024 * 1024);
  faultsSurvived += 1;
});

it('a webhook URL that gets past registration but resolves to loopback is refused at delivery time', async () => {
  const hosted = await startTestServer({
    webhookAllowPrivate: false,
    webhookTimeoutMs: TIMEOUT_MS,
    webhookRetrySchedule: [60],
  });
  const target = await receiver((_req, res) => res.end('ok'));
  try {
    const key = `rebound-${randomUUID()}`;
    const tenant = hosted.api.as(key);
    const port = new URL(target.url).port;
    for (const url of [
      `http://localhost:${port}/hooks`,
      `http://127.0.0.1:${port}/hooks`,
      `http://[::ffff:127.0.0.1]:${port}/hooks`,
    ]) {
      expect((await tenant.post('/sandbox/webhook-endpoints', { url })).body.code).toBe('WEBHOOK_URL_REFUSED');
      // As if the name had resolved elsewhere at registration and was re-pointed since.
      await hosted.server.sandbox.store.transact(key, async (tx) =>
        tx.endpoints.put({
          id: `whe_${url}`,
          url,
          secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
          created_at: new Date().toISOString(),
        }),
      );
    }
    const { id } = await tenant.createJob();
    await new Promise((r) => setImmediate(r));
    await hosted.server.outbox.idle();
    const log = (await tenant.get(`/sandbox/webhook-deliveries?job_id=${id}`)).body;
    expect(log).toHaveLength(3);
    for (const d of log) expect([d.status, d.attempts[0].error]).toEqual(['PENDING', expect.stringMatching(/refused/)]);
    expect(target.received).toHaveLength(0);
  } finally {
    await hosted.close();
  }
});

describe('webhook URLs that are bad', () => {
  it.each([
    ['javascript:alert(1)'],
    ['data:text/plain,hi'],
    ['ws://127.0.0.1/'],
    ['http://user@127.0.0.1/'],
    ['http://:secret@127.0.0.1/'],
    ['http://127.0.0.1/\nX: 1'],
    ['http://127.0.0.1/\tx'],
    ['http://127.0.0.1/\u0000'],
    ['//127.0.0.1/relative'],
    ['http://'],
  ])('refuses %j with 422 naming url', async (url) => {
    const res = await api.post('/sandbox/webhook-endpoints', { url });
    expect([res.status, res.body.errors?.[0]?.param]).toEqual([422, 'url']);
  });

  it('with private targets refused, refuses every spelling of loopback, private, link-local and unspecified', async () => {
    const hosted = await startTestServer({ webhookAllowPrivate: false });
    try {
      const urls = [
        'http://172.16.5.4/h',
        'http://100.64.0.1/h',
        'http://2130706433/h',
        'http://0x7f000001/h',
        'http://127.1/h',
        'http://0/h',
        'http://[::]/h',
        'http://[fe80::1]/h',
        'http://[fc00::1]/h',
        'http://[::ffff:10.0.0.1]/h',
        'http://[::ffff:7f00:1]/h',
        'http://169.254.0.1/h',
        'http://LOCALHOST/h',
        'http://224.0.0.1/h',
      ];
      for (const url of urls) {
        const res = await hosted.api.post('/sandbox/webhook-endpoints', { url });
        expect([url, res.status, res.body.code]).toEqual([url, 422, 'WEBHOOK_URL_REFUSED']);
      }
    } finally {
      await hosted.close();
    }
  });
});
