import http from 'node:http';
import { Writable } from 'node:stream';
import pino from 'pino';
import { availabilityRequest, createJobRequest, startTestServer, type TestApi } from '../../test/support/harness';
import { Receiver } from '../../test/support/receiver';

let api: TestApi;
let close: () => Promise<unknown>;
const logLines: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean))
        logLines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  ({ api, close } = await startTestServer({}, { logger: pino({ level: 'info' }, sink) }));
});
afterAll(() => close());

/** A tenant of its own for each test. */
let tenant: TestApi;
beforeEach(() => {
  tenant = api.as(`faults-${Math.random().toString(36).slice(2)}`);
});

async function addRule(rule: Record<string, unknown>): Promise<any> {
  const res = await tenant.post('/sandbox/faults', rule);
  expect(res.status).toBe(201);
  return res.body;
}

/** A raw request, for answers that are no answers (a reset, a hold). */
function rawPost(path: string, body: unknown, timeoutMs?: number): Promise<{ status?: number; error?: string }> {
  return new Promise((resolve) => {
    const url = new URL(path, api.server.url);
    const req = http.request(url, {
      method: 'POST',
      headers: { 'x-api-key': tenant.key, 'content-type': 'application/json' },
    });
    if (timeoutMs !== undefined) req.setTimeout(timeoutMs, () => req.destroy(new Error('client gave up')));
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode }));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    req.end(JSON.stringify(body));
  });
}

describe('fault rules', () => {
  it('before: the call fails with the envelope and changes nothing', async () => {
    const rule = await addRule({ operations: ['createJob'], status: 503, retry_after: 7 });
    const slot = await tenant.slotId();
    const res = await tenant.post('/jobs', { ...createJobRequest(), slot_id: slot });
    expect([res.status, res.body.code, res.body.fault_id, res.headers.get('retry-after')]).toEqual([
      503,
      'FAULT_INJECTED',
      rule.id,
      '7',
    ]);
    expect((await tenant.get('/sandbox/jobs')).body).toEqual([]);
    const listed = (await tenant.get('/sandbox/faults')).body;
    expect(listed.map((r: any) => [r.id, r.fired])).toEqual([[rule.id, 1]]);
  });

  it('after: the job is committed, the client sees 504, and a retry with the same Idempotency-Key replays the 201', async () => {
    await addRule({ operations: ['createJob'], phase: 'after', status: 504, times: 1 });
    const body = { ...createJobRequest(), slot_id: await tenant.slotId() };
    const headers = { 'Idempotency-Key': 'order-1-create' };
    const first = await tenant.post('/jobs', body, { headers });
    expect([first.status, first.body.code]).toEqual([504, 'FAULT_INJECTED']);
    const jobs = (await tenant.get('/sandbox/jobs')).body;
    expect(jobs).toHaveLength(1);
    const retry = await tenant.post('/jobs', body, { headers });
    expect([retry.status, retry.body.job_id, retry.headers.get('idempotent-replayed')]).toEqual([
      201,
      jobs[0].id,
      'true',
    ]);
    expect((await tenant.get('/sandbox/jobs')).body).toHaveLength(1);
  });

  it('times: fires on the next N matching calls only', async () => {
    const rule = await addRule({ operations: ['getAvailability'], status: 500, times: 2 });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await tenant.post('/jobs/availability/v2', availabilityBody())).status);
    expect(statuses).toEqual([500, 500, 200, 200]);
    expect((await tenant.get('/sandbox/faults')).body[0]).toMatchObject({ id: rule.id, fired: 2, times: 2 });
  });

  it('after, on a call the operation refuses: the firing counts once, and the refusal is what the rule replaces', async () => {
    const rule = await addRule({ operations: ['getJob'], phase: 'after', status: 502, times: 1 });
    const missing = '00000000-0000-4000-8000-000000000000';
    const first = await tenant.get(`/jobs/${missing}`);
    expect([first.status, first.body.code, first.body.fault_id]).toEqual([502, 'FAULT_INJECTED', rule.id]);
    const second = await tenant.get(`/jobs/${missing}`);
    expect([second.status, second.body.code]).toEqual([404, 'JOB_NOT_FOUND']);
    expect((await tenant.get('/sandbox/faults')).body[0]).toMatchObject({ id: rule.id, fired: 1 });
  });

  it('probability: a draw on a call the operation refuses still moves the sequence on', async () => {
    const statuses = async (seed: number, refused: boolean) => {
      tenant = api.as(`faults-draw-${seed}-${refused}-${Math.random()}`);
      await addRule({ operations: ['getJob'], phase: 'after', status: 502, probability: 0.5, seed });
      const jobId = refused
        ? '00000000-0000-4000-8000-000000000000'
        : (await tenant.post('/jobs', { ...createJobRequest(), slot_id: await tenant.slotId() })).body.job_id;
      const out: number[] = [];
      for (let i = 0; i < 12; i++) out.push((await tenant.get(`/jobs/${jobId}`)).status);
      return out.map((status) => (status === 502 ? 'fault' : 'answer'));
    };
    expect(await statuses(11, true)).toEqual(await statuses(11, false));
  });

  it('probability: the same seed fires on the same calls, another seed on others', async () => {
    const pattern = async (seed: number) => {
      tenant = api.as(`faults-seed-${seed}-${Math.random()}`);
      await addRule({ operations: ['getAvailability'], status: 502, probability: 0.5, seed });
      const out: number[] = [];
      for (let i = 0; i < 16; i++) out.push((await tenant.post('/jobs/availability/v2', availabilityBody())).status);
      return out;
    };
    const first = await pattern(42);
    expect(new Set(first)).toEqual(new Set([200, 502]));
    expect(await pattern(42)).toEqual(first);
    expect(await pattern(7)).not.toEqual(first);
  });

  it('match: only bodies whose value at the pointer matches the pattern (or equals the value)', async () => {
    await addRule({
      operations: ['createJob'],
      match: { pointer: '/client_reference', pattern: '^FAIL-' },
      status: 500,
    });
    await addRule({ operations: ['createJob'], match: { pointer: '/client_reference', equals: 'EXACT' }, status: 502 });
    const create = async (client_reference: string) =>
      (await tenant.post('/jobs', { ...createJobRequest(), client_reference, slot_id: await tenant.slotId() })).status;
    expect([await create('FAIL-1'), await create('OK-FAIL-1'), await create('EXACT'), await create('EXACTLY')]).toEqual(
      [500, 201, 502, 201],
    );
  });

  it('429 carries Retry-After; delay answers after it; every firing is logged with its request id and rule id', async () => {
    const rule = await addRule({ operations: ['getAvailability'], status: 429, times: 1 });
    const res = await tenant.post('/jobs/availability/v2', availabilityBody(), {
      headers: { 'x-request-id': 'req-429' },
    });
    expect([res.status, res.headers.get('retry-after')]).toEqual([429, '1']);
    await addRule({ operations: ['getAvailability'], delay_ms: { min: 20, max: 30 }, times: 1 });
    expect((await tenant.post('/jobs/availability/v2', availabilityBody())).status).toBe(200);
    expect(logLines.find((l) => l.msg === 'fault injected' && l.req_id === 'req-429')).toMatchObject({
      fault_id: rule.id,
      operation: 'getAvailability',
    });
  });

  it('drop: reset closes the connection with no answer; hang holds it until the client gives up', async () => {
    await addRule({ operations: ['getAvailability'], drop: 'reset', times: 1 });
    expect(await rawPost('/jobs/availability/v2', availabilityBody())).toEqual({ error: 'ECONNRESET' });
    await addRule({ operations: ['getAvailability'], drop: 'hang', times: 1 });
    expect(await rawPost('/jobs/availability/v2', availabilityBody(), 100)).toEqual({ error: 'client gave up' });
    expect((await tenant.post('/jobs/availability/v2', availabilityBody())).status).toBe(200);
  });

  it('never faults /sandbox/*, /healthz, the docs or the console, even with a rule on every operation', async () => {
    await addRule({ status: 500 });
    expect((await tenant.get('/sandbox/clock')).status).toBe(200);
    expect((await tenant.get('/sandbox/faults')).status).toBe(200);
    expect((await tenant.get('/healthz')).status).toBe(200);
    expect((await tenant.get('/openapi.yaml')).status).toBe(200);
    expect((await tenant.post('/jobs/availability/v2', availabilityBody())).status).toBe(500);
  });

  it('delete removes one rule and reset removes all', async () => {
    const a = await addRule({ operations: ['getJob'], status: 500 });
    await addRule({ operations: ['getJob'], status: 502 });
    expect((await tenant.delete(`/sandbox/faults/${a.id}`)).status).toBe(204);
    expect((await tenant.delete(`/sandbox/faults/${a.id}`)).body.code).toBe('FAULT_NOT_FOUND');
    expect((await tenant.get('/sandbox/faults')).body).toHaveLength(1);
    expect((await tenant.post('/sandbox/reset')).status).toBe(200);
    expect((await tenant.get('/sandbox/faults')).body).toEqual([]);
  });

  it('is per tenant', async () => {
    await addRule({ status: 500 });
    expect((await api.as(`other-${Math.random()}`).post('/jobs/availability/v2', availabilityBody())).status).toBe(200);
  });

  it.each([
    [{ operations: ['resetTenant'], status: 500 }, 'operations[0]'],
    [{ operations: ['nope'], status: 500 }, 'operations[0]'],
    [{ probability: 1.5, status: 500 }, 'probability'],
    [{ status: 418 }, 'status'],
    [{}, 'status'],
    [{ status: 500, drop: 'reset' }, 'drop'],
    [{ status: 500, seed: 3 }, 'seed'],
    [{ status: 500, retry_after: 3 }, 'retry_after'],
    [{ delay_ms: { min: 50, max: 10 } }, 'delay_ms.max'],
    [{ status: 500, match: { pointer: 'client_reference', equals: 'x' } }, 'match.pointer'],
    [{ status: 500, match: { pointer: '/a', pattern: '(a)\\1' } }, 'match.pattern'],
    [{ status: 500, match: { pointer: '/a', pattern: 'x'.repeat(201) } }, 'match.pattern'],
    [{ status: 500, match: { pointer: '/a' } }, 'match.pattern'],
  ])('refuses %j with 422 naming %s', async (rule, param) => {
    const res = await tenant.post('/sandbox/faults', rule);
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('VALIDATION_FAILED');
    expect(res.body.errors.map((e: any) => e.param)).toContain(param);
  });

  it('refuses a 21st rule with 422', async () => {
    for (let i = 0; i < 20; i++) await addRule({ operations: ['getJob'], status: 500 });
    const res = await tenant.post('/sandbox/faults', { operations: ['getJob'], status: 500 });
    expect([res.status, res.body.code]).toEqual([422, 'VALIDATION_FAILED']);
  });

  it('a catastrophic pattern runs in linear time: the server answers at once', async () => {
    await addRule({
      operations: ['createJob'],
      match: { pointer: '/client_reference', pattern: '^(a+)+$' },
      status: 500,
    });
    const res = await tenant.post('/jobs', {
      ...createJobRequest(),
      // A backtracking engine would not finish this in a lifetime: (a+)+ against 199 a's and a miss.
      client_reference: `${'a'.repeat(199)}!`,
      slot_id: await tenant.slotId(),
    });
    expect(res.status).toBe(201);
  });
});

describe('the clock jumps to an instant', () => {
  it('moves a frozen clock exactly to `to`; a `to` in the past is 422 naming it', async () => {
    const frozen = (await tenant.post('/sandbox/clock/freeze')).body;
    const to = new Date(Date.parse(frozen.now) + 3 * 86_400_000).toISOString();
    const moved = await tenant.post('/sandbox/clock/advance', { to });
    expect([moved.status, Date.parse(moved.body.now)]).toEqual([200, Date.parse(to)]);
    const past = await tenant.post('/sandbox/clock/advance', { to: frozen.now });
    expect([past.status, past.body.errors[0].param]).toEqual([422, 'to']);
    const both = await tenant.post('/sandbox/clock/advance', { to, seconds: 5 });
    expect([both.status, both.body.errors[0].param]).toEqual([422, 'seconds']);
    expect((await tenant.post('/sandbox/clock/advance', {})).status).toBe(422);
  });

  it('expires the slots it passes, as seconds does', async () => {
    const slot = await tenant.slotId();
    const clock = (await tenant.get('/sandbox/clock')).body;
    await tenant.post('/sandbox/clock/advance', { to: new Date(Date.parse(clock.now) + 3600_000).toISOString() });
    const res = await tenant.post('/jobs', { ...createJobRequest(), slot_id: slot });
    expect([res.status, res.body.code]).toEqual([417, 'SLOT_EXPIRED']);
  });
});

describe('webhook endpoint faults', () => {
  let receiver: Receiver;
  beforeEach(async () => {
    receiver = await new Receiver().start();
  });
  afterEach(() => receiver.stop());

  it('duplicate sends each delivery twice with the same webhook-id; PATCH turns it on and off', async () => {
    const endpoint = (await tenant.post('/sandbox/webhook-endpoints', { url: receiver.url })).body;
    expect([endpoint.duplicate, endpoint.delay_ms]).toEqual([false, 0]);
    const patched = await tenant.call('PATCH', `/sandbox/webhook-endpoints/${endpoint.id}`, {
      body: { duplicate: true, delay_ms: 10 },
    });
    expect([patched.status, patched.body.duplicate, patched.body.delay_ms]).toEqual([200, true, 10]);
    const { id } = await tenant.createJob();
    await tenant.post(`/sandbox/jobs/${id}/advance`, { to: 'PICKING_FINISHED' });
    await receiver.waitFor(6);
    const ids = receiver.received.map((r) => r.headers['webhook-id']);
    const types = receiver.received.map((r) => r.json.type ?? r.json.event_type);
    expect(ids[0]).toBe(ids[1]);
    expect(ids[2]).toBe(ids[3]);
    expect(ids[4]).toBe(ids[5]);
    expect(new Set(ids).size).toBe(3);
    expect([types[0], types[2], types[4]]).toEqual(['CREATED', 'PICKING_STARTED', 'PICKING_FINISHED']);
    const listed = (await tenant.get('/sandbox/webhook-endpoints')).body;
    expect(listed[0]).toMatchObject({ duplicate: true, delay_ms: 10 });
    const missing = await tenant.call('PATCH', '/sandbox/webhook-endpoints/whe_nope', { body: { duplicate: false } });
    expect(missing.body.code).toBe('WEBHOOK_ENDPOINT_NOT_FOUND');
  });
});

function availabilityBody(): unknown {
  return availabilityRequest();
}
