import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { startSandbox, SandboxError, spawnSandbox, type RunningSandbox } from '.';
import type { Schemas } from '../client';

const AVAILABILITY: Schemas['AvailabilityRequest'] = {
  origin: { name: 'Store', address: 'Av. Homero 1500', latitude: 19.4342, longitude: -99.2001 },
  destination: { name: 'Ana', address: 'Lamartine 238', latitude: 19.4315, longitude: -99.1953 },
  job_items: [{ id: 'SKU-1', name: 'Milk 1 L', unit: 'piece', quantity: 2, price: 28.5 }],
  currency_code: 'MXN',
  start: '2030-01-01T16:00:00Z',
  end: '2030-01-01T18:00:00Z',
  slot_size: 60,
};

const job = (slotId: string, extra: Partial<Schemas['CreateJobRequest']> = {}): Schemas['CreateJobRequest'] => ({
  slot_id: slotId,
  client_reference: 'ORDER-1',
  recipient: { name: 'Ana', phone_number: '+525512345678' },
  payment_info: {
    currency_code: 'MXN',
    prices: { order_value: 57 },
    payment: { method: 'PREPAID', payment_status: 'SUCCEEDED' },
  },
  ...extra,
});

async function slots(sandbox: RunningSandbox['client']): Promise<string[]> {
  const { data, error } = await sandbox.POST('/jobs/availability/v2', { body: AVAILABILITY });
  if (!data) throw new Error(`no slots: ${JSON.stringify(error)}`);
  return data.map((slot) => slot.id);
}

describe('startSandbox', () => {
  let sandbox: RunningSandbox;
  beforeAll(async () => {
    sandbox = await startSandbox();
  });
  afterAll(() => sandbox.close());

  it('listens on a free loopback port with the default key', async () => {
    expect(sandbox.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(sandbox.url).not.toMatch(/:4000$/);
    expect(sandbox.apiKey).toBe('sandbox-key');
    const health = await fetch(`${sandbox.url}/healthz`);
    expect(health.status).toBe(200);
  });

  it('creates a job on a held slot and answers 417 once the clock passed its hold', async () => {
    const tenant = sandbox.tenant('held-slot');
    const [first, second] = await slots(tenant.client);
    const created = await tenant.client.POST('/jobs', { body: job(first) });
    expect(created.response.status).toBe(201);
    expect(created.data?.job_id).toEqual(expect.any(String));
    const clock = await tenant.advanceClock(16 * 60);
    expect(clock.offset_seconds).toBeGreaterThanOrEqual(960);
    const late = await tenant.client.POST('/jobs', { body: job(second, { client_reference: 'ORDER-2' }) });
    expect(late.response.status).toBe(417);
    expect(late.error?.code).toBe('SLOT_EXPIRED');
  });

  it('freezes and unfreezes the clock', async () => {
    const tenant = sandbox.tenant('frozen');
    expect((await tenant.freezeClock()).frozen).toBe(true);
    const before = await tenant.clock();
    const after = await tenant.advanceClock(60);
    expect(Date.parse(after.now) - Date.parse(before.now)).toBe(60_000);
    expect((await tenant.unfreezeClock()).frozen).toBe(false);
  });

  it('drives a job to delivery with its own code, and refuses an illegal move with the code', async () => {
    const tenant = sandbox.tenant('driver');
    const [slot] = await slots(tenant.client);
    const created = await tenant.client.POST('/jobs', { body: job(slot, { add_delivery_code: true }) });
    const jobId = created.data!.job_id;
    expect((await tenant.driveJob(jobId)).state).toBe('PICKING_STARTED');
    expect((await tenant.driveJob(jobId, { to: 'CLIENT_RECEIVED' })).state).toBe('CLIENT_RECEIVED');
    const refusal = await tenant
      .driveJob(jobId, { to: 'CLIENT_RECEIVED', deliveryCode: '0000' })
      .catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(SandboxError);
    expect(refusal).toMatchObject({ status: 409, code: 'ILLEGAL_TRANSITION', operation: 'advanceJob' });
  });

  it('registers a webhook endpoint whose deliveries verify with its secret, and resets the tenant', async () => {
    const received: Array<{ body: string; headers: Record<string, string> }> = [];
    const receiver: Server = createServer((req, res) => {
      let body = '';
      req
        .setEncoding('utf8')
        .on('data', (chunk: string) => {
          body += chunk;
        })
        .on('end', () => {
          received.push({ body, headers: req.headers as Record<string, string> });
          res.writeHead(204).end();
        });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      const tenant = sandbox.tenant('hooks');
      const endpoint = await tenant.addWebhookEndpoint({
        url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`,
      });
      const [slot] = await slots(tenant.client);
      const created = await tenant.client.POST('/jobs', { body: job(slot) });
      const deliveries = async () =>
        (
          await tenant.client.GET('/sandbox/webhook-deliveries', {
            params: { query: { job_id: created.data!.job_id } },
          })
        ).data ?? [];
      // Delivery is asynchronous: the log says when it settled, no timer is involved.
      for (let i = 0; i < 200 && !(await deliveries()).some((d) => d.status === 'SUCCEEDED'); i++)
        await new Promise((r) => setImmediate(r));
      expect(received).toHaveLength(1);
      const event = new Webhook(endpoint.secret).verify(received[0].body, received[0].headers) as { type: string };
      expect(event.type).toBe('CREATED');
      await tenant.reset();
      expect((await tenant.client.GET('/sandbox/webhook-endpoints')).data).toEqual([]);
    } finally {
      await new Promise((resolve) => receiver.close(resolve));
    }
  });
});

describe('startSandbox options: the settings of lastmile serve', () => {
  it('takes the default key from apiKeys and refuses other keys', async () => {
    const sandbox = await startSandbox({ apiKeys: ['team-key', 'other'], slotTtlSeconds: 60 });
    try {
      expect(sandbox.apiKey).toBe('team-key');
      expect((await sandbox.clock()).frozen).toBe(false);
      const refused = await sandbox
        .tenant('stranger')
        .clock()
        .catch((error: unknown) => error);
      expect(refused).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
    } finally {
      await sandbox.close();
    }
  });

  it.each([
    [{ port: 70000 }, /^port must be at most 65535, got 70000$/],
    [{ slotTtlSeconds: 0 }, /^slotTtlSeconds must be an integer >= 1, got "0"$/],
    [{ webhookRetrySchedule: [1, -5] }, /^webhookRetrySchedule must be seconds separated by commas/],
    [{ store: 'mysql://db' }, /^store must be memory, a redis:\/\/ URL or a redis-cluster:\/\/ URL/],
    [{ cors: { yes: true } }, /cors must be a boolean, got object/],
    [{ slotTTL: 60 }, /unknown setting "slotTTL"/],
  ])('refuses %j as lastmile serve does', async (options, message) => {
    await expect(startSandbox(options as never)).rejects.toThrow(message);
  });
});

describe('spawnSandbox', () => {
  // Each test starts `lastmile serve` from the sources, compiled at start-up: slow on a busy machine.
  jest.setTimeout(120_000);

  it('serves from a child process until closed', async () => {
    const sandbox = await spawnSandbox({ apiKeys: ['ci-key'] });
    try {
      expect(sandbox.apiKey).toBe('ci-key');
      const clock = await fetch(`${sandbox.url}/sandbox/clock`, { headers: { 'x-api-key': 'ci-key' } });
      expect(clock.status).toBe(200);
    } finally {
      await sandbox.close();
    }
    expect(() => process.kill(sandbox.pid, 0)).toThrow();
  });

  it('refuses a bad setting before starting anything, and reports a server that cannot listen', async () => {
    await expect(spawnSandbox({ maxBodyBytes: 'huge' as never })).rejects.toThrow(
      /^maxBodyBytes must be a size such as 1mb/,
    );
    const first = await spawnSandbox();
    try {
      const port = Number(new URL(first.url).port);
      await expect(spawnSandbox({ port })).rejects.toThrow(/exited \(status 2\) before listening: .*in use/);
    } finally {
      await first.close();
    }
  });
});
