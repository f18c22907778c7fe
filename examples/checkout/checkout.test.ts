/**
 * The checkout's tests against a sandbox started in the test process: no network, no
 * shared environment, no waiting on real time (the sandbox's clock is moved instead).
 */
import { randomBytes } from 'node:crypto';
import { startSandbox, type RunningSandbox, type Schemas } from 'lastmile-kit';
import { createCheckout, SlotExpired, startWebhookReceiver, type DeliveryEvent, type Order } from './checkout';

const AVAILABILITY: Schemas['AvailabilityRequest'] = {
  origin: { name: 'Store', address: 'Av. Homero 1500, CDMX', latitude: 19.4342, longitude: -99.2001 },
  destination: { name: 'Ana', address: 'Lamartine 238, CDMX', latitude: 19.4315, longitude: -99.1953 },
  job_items: [{ id: 'SKU-1', name: 'Milk 1 L', unit: 'piece', quantity: 2, price: 28.5 }],
  currency_code: 'MXN',
  start: '2030-01-01T16:00:00Z',
  end: '2030-01-01T18:00:00Z',
  slot_size: 60,
};

const ORDER: Order = {
  client_reference: 'ORDER-1',
  recipient: { name: 'Ana López', phone_number: '+525512345678' },
  payment_info: {
    currency_code: 'MXN',
    prices: { order_value: 57 },
    payment: { method: 'PREPAID', payment_status: 'SUCCEEDED' },
  },
};

let sandbox: RunningSandbox;
let checkout: ReturnType<typeof createCheckout>;

beforeAll(async () => {
  sandbox = await startSandbox();
  checkout = createCheckout({ baseUrl: sandbox.url, apiKey: sandbox.apiKey });
});
afterAll(() => sandbox.close());
beforeEach(() => sandbox.reset());

it('books the delivery on the slot the customer picked', async () => {
  const [slot] = await checkout.offerSlots(AVAILABILITY);
  const jobId = await checkout.placeOrder(slot.id, ORDER);
  const { data: job } = await sandbox.client.GET('/jobs/{job_id}', { params: { path: { job_id: jobId } } });
  expect(job).toMatchObject({ id: jobId, state: 'CREATED', client_reference: 'ORDER-1', slot: { id: slot.id } });
});

it('asks for new slots when the customer took longer than the hold (417)', async () => {
  const [slot] = await checkout.offerSlots(AVAILABILITY);
  await sandbox.advanceClock(16 * 60);
  await expect(checkout.placeOrder(slot.id, ORDER)).rejects.toThrow(SlotExpired);
  const [fresh] = await checkout.offerSlots(AVAILABILITY);
  await expect(checkout.placeOrder(fresh.id, ORDER)).resolves.toEqual(expect.any(String));
});

it('retries a create that timed out after the job was made, and books it once', async () => {
  // The sandbox makes the job, then answers 504 in place of the 201: the bad day the retry is for.
  const fault = await sandbox.client.POST('/sandbox/faults', {
    body: { operations: ['createJob'], phase: 'after', status: 504, times: 1 },
  });
  expect(fault.response.status).toBe(201);
  const [slot] = await checkout.offerSlots(AVAILABILITY);
  const jobId = await checkout.placeOrder(slot.id, ORDER);
  const { data: jobs } = await sandbox.client.GET('/sandbox/jobs');
  expect(jobs?.map((job) => job.id)).toEqual([jobId]);
  const { data: rules } = await sandbox.client.GET('/sandbox/faults');
  expect(rules?.[0]).toMatchObject({ fired: 1 });
});

it('takes the signed webhooks of its deliveries and refuses a forged one', async () => {
  const secret = `whsec_${randomBytes(24).toString('base64')}`;
  const events: DeliveryEvent[] = [];
  let delivered: (event: DeliveryEvent) => void = () => {};
  const receiver = await startWebhookReceiver(secret, (event) => {
    events.push(event);
    delivered(event);
  });
  try {
    await sandbox.addWebhookEndpoint({ url: receiver.url, secret });
    const [slot] = await checkout.offerSlots(AVAILABILITY);
    const created = new Promise<DeliveryEvent>((resolve) => {
      delivered = resolve;
    });
    const jobId = await checkout.placeOrder(slot.id, ORDER);
    expect(await created).toMatchObject({ type: 'CREATED', job: { id: jobId, state: 'CREATED' } });

    const forged = await fetch(receiver.url, {
      method: 'POST',
      body: JSON.stringify({ type: 'CLIENT_RECEIVED' }),
      headers: {
        'content-type': 'application/json',
        'webhook-id': 'msg_1',
        'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
        'webhook-signature': 'v1,AAAA',
      },
    });
    expect(forged.status).toBe(401);
    expect(events.map((event) => event.type)).toEqual(['CREATED']);
  } finally {
    await receiver.close();
  }
});
