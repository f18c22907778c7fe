import http from 'node:http';
import { spec } from '../../spec/contract';
import { startServer, type RunningServer } from '../main';
import { createConsole } from './index';
import { openEventStream, type OpenStream } from '../../test/support/sse';

let server: RunningServer;

beforeAll(async () => {
  server = await startServer({ port: 0 });
});
afterAll(() => server.close());

async function call(key: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(server.url + path, {
    method,
    headers: { 'x-api-key': key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function createJob(key: string): Promise<string> {
  const slots = await call(key, 'POST', '/jobs/availability/v2', spec.components.examples.AvailabilityRequest.value);
  const created = await call(key, 'POST', '/jobs', {
    ...spec.components.examples.CreateJobRequestMinimal.value,
    slot_id: slots.body[0].id,
  });
  return created.body.job_id;
}

/** An open event stream and every event it has carried so far. */
function openStream(ticket: string): Promise<OpenStream> {
  return openEventStream(`${server.url}/console/events?ticket=${encodeURIComponent(ticket)}`);
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(condition()).toBe(true);
}

const listenerCount = () => (server.sandbox as unknown as { listeners: unknown[] }).listeners.length;

test("a stream carries only its own tenant's job events, as type, job id and state", async () => {
  const ticket = (await call('tenant-a', 'POST', '/console/stream-tickets')).body.ticket;
  const stream = await openStream(ticket);
  await until(() => stream.events.some((e) => e.event === 'ready'));
  await createJob('tenant-b');
  const jobId = await createJob('tenant-a');
  await call('tenant-a', 'POST', `/sandbox/jobs/${jobId}/advance`, {});
  await until(() => stream.events.filter((e) => e.event === 'job').length === 2);
  expect(stream.events.filter((e) => e.event === 'job').map((e) => e.data)).toEqual([
    { type: 'CREATED', job_id: jobId, state: 'CREATED' },
    { type: 'PICKING_STARTED', job_id: jobId, state: 'PICKING_STARTED' },
  ]);
  stream.close();
});

test("a stream carries its own tenant's delivery attempts as they settle, and no other tenant's", async () => {
  const receiver = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.statusCode = 500;
      res.end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const hook = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hooks`;
  try {
    for (const key of ['deliveries-a', 'deliveries-b'])
      await call(key, 'POST', '/sandbox/webhook-endpoints', { url: hook });
    const stream = await openStream((await call('deliveries-a', 'POST', '/console/stream-tickets')).body.ticket);
    await until(() => stream.events.some((e) => e.event === 'ready'));
    await createJob('deliveries-b');
    const jobId = await createJob('deliveries-a');
    await until(() => stream.events.some((e) => e.event === 'delivery' && e.data.attempts === 1));
    const deliveries = stream.events.filter((e) => e.event === 'delivery').map((e) => e.data);
    expect(deliveries.every((d) => d.job_id === jobId)).toBe(true);
    expect(deliveries.map((d) => [d.status, d.attempts])).toEqual([
      ['PENDING', 0],
      ['PENDING', 1],
    ]);
    stream.close();
  } finally {
    await new Promise((r) => receiver.close(r));
  }
});

test('a ticket opens one stream once, and only a key the API accepts gets one', async () => {
  expect((await call('', 'POST', '/console/stream-tickets')).status).toBe(401);
  const issued = await call('tenant-c', 'POST', '/console/stream-tickets');
  expect(issued.status).toBe(201);
  expect(JSON.stringify(issued.body)).not.toContain('tenant-c');
  const first = await openStream(issued.body.ticket);
  expect(first.response.statusCode).toBe(200);
  const second = await openStream(issued.body.ticket);
  expect(second.response.statusCode).toBe(401);
  second.close();
  first.close();
  const unknown = await openStream('not-a-ticket');
  expect(unknown.response.statusCode).toBe(401);
  unknown.close();
});

test('the event listener is removed once the last stream disconnects', async () => {
  const before = listenerCount();
  const streams = await Promise.all(
    ['tenant-d', 'tenant-e'].map(async (key) =>
      openStream((await call(key, 'POST', '/console/stream-tickets')).body.ticket),
    ),
  );
  await until(() => listenerCount() === before + 1);
  streams[0].close();
  await new Promise((r) => setTimeout(r, 50));
  expect(listenerCount()).toBe(before + 1);
  streams[1].close();
  await until(() => listenerCount() === before);
});

test('closing the console ends its streams, and a tenant holds a bounded number of them', async () => {
  const sandboxConsole = createConsole({ sandbox: server.sandbox, apiKeys: null, limits: { maxStreamsPerTenant: 2 } });
  const opened: http.ServerResponse[] = [];
  for (let i = 0; i < 3; i++) {
    const res = new http.ServerResponse(new http.IncomingMessage(null as never));
    opened.push(res);
    sandboxConsole.streams.open('tenant-f', res);
  }
  expect(sandboxConsole.streams.openStreams).toBe(2);
  expect(opened[0].writableEnded).toBe(true);
  sandboxConsole.close();
  expect(sandboxConsole.streams.openStreams).toBe(0);
  expect(opened.every((res) => res.writableEnded)).toBe(true);
});

test("only keys in the server's list get a ticket when it has one", async () => {
  const strict = await startServer({ port: 0, apiKeys: ['allowed-key'] });
  try {
    const post = (key: string) =>
      fetch(`${strict.url}/console/stream-tickets`, { method: 'POST', headers: { 'x-api-key': key } });
    expect((await post('other-key')).status).toBe(401);
    expect((await post('allowed-key')).status).toBe(201);
  } finally {
    await strict.close();
  }
});
