/** The domain on its own: no HTTP, a pinned real clock, events collected from the listener. */
import { spec } from '../../spec/contract';
import { DomainError } from './errors';
import { Sandbox, type JobEvent } from './sandbox';
import { InMemoryStore } from './store';

const T0 = Date.parse('2026-11-27T15:00:00Z');

function setup(config = {}) {
  const store = new InMemoryStore(() => T0);
  const sandbox = new Sandbox(store, config);
  const events: JobEvent['type'][] = [];
  sandbox.onEvent((_tenant, event) => events.push(event.type));
  return { sandbox, events };
}

const availability = () => structuredClone(spec.components.examples.AvailabilityRequest.value);
const order = (slot_id: string, extra = {}) => ({ ...structuredClone(spec.components.examples.CreateJobRequestMinimal.value), slot_id, ...extra });

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError) return error.code;
    throw error;
  }
  return undefined;
}

describe('slots', () => {
  it('are held for the TTL from the tenant clock and expire after it', () => {
    const { sandbox } = setup({ slotTtlSeconds: 60 });
    const [slot] = sandbox.availability('k', availability());
    expect(slot.expires_at).toBe('2026-11-27T15:01:00.000Z');
    sandbox.advanceClock('k', 60);
    expect(sandbox.checkSlot('k', slot.id).status).toBe('AVAILABLE');
    sandbox.advanceClock('k', 1);
    expect(sandbox.checkSlot('k', slot.id).status).toBe('EXPIRED');
    expect(codeOf(() => sandbox.createJob('k', order(slot.id)))).toBe('SLOT_EXPIRED');
  });

  it('extend to three holds past the original expiry', () => {
    const { sandbox } = setup({ slotTtlSeconds: 60 });
    const [slot] = sandbox.availability('k', availability());
    expect(sandbox.extendSlot('k', slot.id).expires_at).toBe('2026-11-27T15:04:00.000Z');
    sandbox.advanceClock('k', 239);
    expect(sandbox.createJob('k', order(slot.id)).status).toBe(201);
  });

  it('belong to one tenant only', () => {
    const { sandbox } = setup();
    const [slot] = sandbox.availability('a', availability());
    expect(codeOf(() => sandbox.checkSlot('b', slot.id))).toBe('SLOT_NOT_FOUND');
  });

  it('are forgotten oldest first past the per-tenant bound', () => {
    const { sandbox } = setup({ maxSlotsPerTenant: 4 });
    const first = sandbox.availability('k', availability());
    const second = sandbox.availability('k', { ...availability(), slot_size: 30 });
    expect(codeOf(() => sandbox.checkSlot('k', first[0].id))).toBe('SLOT_NOT_FOUND');
    expect(sandbox.checkSlot('k', second[7].id).valid).toBe(true);
  });
});

describe('jobs', () => {
  it('take a slot once and emit CREATED', () => {
    const { sandbox, events } = setup();
    const [slot] = sandbox.availability('k', availability());
    const created = sandbox.createJob('k', order(slot.id));
    expect(sandbox.getJob('k', created.body.job_id).slot.id).toBe(slot.id);
    expect(codeOf(() => sandbox.createJob('k', order(slot.id)))).toBe('SLOT_ALREADY_USED');
    expect(events).toEqual(['CREATED']);
  });

  it('replay an idempotent create without a second job or event', () => {
    const { sandbox, events } = setup();
    const [slot] = sandbox.availability('k', availability());
    const first = sandbox.createJob('k', order(slot.id), 'idem');
    const replay = sandbox.createJob('k', order(slot.id), 'idem');
    expect(replay).toEqual({ ...first, replayed: true });
    expect(sandbox.listJobs('k')).toHaveLength(1);
    expect(events).toEqual(['CREATED']);
    expect(codeOf(() => sandbox.createJob('k', order(slot.id, { client_reference: 'x' }), 'idem'))).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it('walk the lifecycle emitting each step once, and need the code at the end', () => {
    const { sandbox, events } = setup({ deliveryCodeAttempts: 2 });
    const [slot] = sandbox.availability('k', availability());
    const { body } = sandbox.createJob('k', order(slot.id, { add_delivery_code: true }));
    const job = sandbox.getJob('k', body.job_id);
    expect(job.delivery_code).toMatch(/^\d{4}$/);
    sandbox.advanceJob('k', job.id, { to: 'DELIVERING_STARTED' });
    const wrong = job.delivery_code === '0000' ? '1111' : '0000';
    expect(codeOf(() => sandbox.advanceJob('k', job.id, { delivery_code: wrong }))).toBe('INVALID_DELIVERY_CODE');
    expect(codeOf(() => sandbox.advanceJob('k', job.id, { delivery_code: wrong }))).toBe('INVALID_DELIVERY_CODE');
    expect(codeOf(() => sandbox.advanceJob('k', job.id, { delivery_code: job.delivery_code }))).toBe('DELIVERY_CODE_LOCKED');
    sandbox.updateDeliveryCode('k', job.id, { delivery_code: '5555' });
    sandbox.advanceJob('k', job.id, { delivery_code: '5555' });
    expect(events).toEqual(['CREATED', 'PICKING_STARTED', 'PICKING_FINISHED', 'CHECKING_OUT_STARTED', 'CHECKED_OUT',
      'GOING_TO_DESTINATION_STARTED', 'ARRIVED_TO_DESTINATION', 'DELIVERING_STARTED', 'CLIENT_RECEIVED']);
    expect(codeOf(() => sandbox.cancelJob('k', job.id))).toBe('ILLEGAL_TRANSITION');
  });

  it('count unfinished jobs and refuse past the bound only when none can be evicted', () => {
    const { sandbox } = setup({ maxJobsPerTenant: 1 });
    const slots = sandbox.availability('k', availability());
    const { body } = sandbox.createJob('k', order(slots[0].id));
    expect(codeOf(() => sandbox.createJob('k', order(slots[1].id)))).toBe('TENANT_FULL');
    sandbox.cancelJob('k', body.job_id);
    expect(sandbox.tenant('k').unfinishedJobs).toBe(0);
    expect(sandbox.createJob('k', order(slots[1].id)).status).toBe(201);
  });

  it('are wiped by a reset of their tenant only', () => {
    const { sandbox } = setup();
    const a = sandbox.createJob('a', order(sandbox.availability('a', availability())[0].id)).body.job_id;
    const b = sandbox.createJob('b', order(sandbox.availability('b', availability())[0].id)).body.job_id;
    sandbox.advanceClock('a', 100);
    sandbox.reset('a');
    expect(codeOf(() => sandbox.getJob('a', a))).toBe('JOB_NOT_FOUND');
    expect(sandbox.clock('a').offset_seconds).toBe(0);
    expect(sandbox.getJob('b', b).id).toBe(b);
  });
});

describe('a frozen clock', () => {
  it('stands still while real time passes, moves only when advanced, and runs on from where it stood', () => {
    let real = T0;
    const sandbox = new Sandbox(new InMemoryStore(() => real));
    expect(sandbox.freezeClock('k')).toEqual({ now: '2026-11-27T15:00:00.000Z', offset_seconds: 0, frozen: true });
    real += 3_600_000;
    expect(sandbox.clock('k').now).toBe('2026-11-27T15:00:00.000Z');
    expect(sandbox.freezeClock('k').now).toBe('2026-11-27T15:00:00.000Z');
    expect(sandbox.advanceClock('k', 90)).toEqual({ now: '2026-11-27T15:01:30.000Z', offset_seconds: 90, frozen: true });
    // The hour it stood still is absorbed: no jump when it runs again.
    expect(sandbox.unfreezeClock('k')).toEqual({ now: '2026-11-27T15:01:30.000Z', offset_seconds: 90 - 3600, frozen: false });
    real += 10_000;
    expect(sandbox.clock('k').now).toBe('2026-11-27T15:01:40.000Z');
    expect(sandbox.unfreezeClock('k').now).toBe('2026-11-27T15:01:40.000Z');
  });

  it('expires a slot exactly one millisecond after expires_at', () => {
    let real = T0;
    const sandbox = new Sandbox(new InMemoryStore(() => real), { slotTtlSeconds: 60 });
    sandbox.freezeClock('k');
    const [slot] = sandbox.availability('k', availability());
    real += 120_000;
    sandbox.advanceClock('k', 60);
    expect(sandbox.checkSlot('k', slot.id).status).toBe('AVAILABLE');
    sandbox.advanceClock('k', 1);
    expect(sandbox.checkSlot('k', slot.id).status).toBe('EXPIRED');
  });
});

describe('recipient instructions', () => {
  it('with only unknown fields: 200, the job unchanged, and no event', () => {
    const { sandbox, events } = setup();
    const [slot] = sandbox.availability('k', availability());
    const { body } = sandbox.createJob('k', order(slot.id));
    const before = structuredClone(sandbox.getJob('k', body.job_id));
    const after = sandbox.updateRecipientInstructions('k', body.job_id, { nickname: 'Lu' } as never);
    expect(after).toEqual(before);
    expect(events).toEqual(['CREATED']);
    sandbox.updateRecipientInstructions('k', body.job_id, { job_comment: 'Ring twice' });
    expect(events).toEqual(['CREATED', 'JOB_COMMENT_UPDATED']);
  });
});

describe('idempotency', () => {
  it('takes the same JSON value as the same body, whatever the order of its keys', () => {
    const { sandbox } = setup();
    const [slot, other] = sandbox.availability('k', availability());
    const body = order(slot.id);
    const first = sandbox.createJob('k', body, 'idem');
    const reordered = JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(body).reverse())));
    expect(sandbox.createJob('k', reordered, 'idem')).toMatchObject({ replayed: true, body: first.body });
    const items = { ...body, slot_id: other.id, payment_info: { ...body.payment_info, prices: { ...body.payment_info.prices, attributes: [{ type: 'a', name: 'x', value: 1 }, { type: 'b', name: 'y', value: 2 }] } } };
    const swapped = { ...items, payment_info: { ...items.payment_info, prices: { ...items.payment_info.prices, attributes: [...items.payment_info.prices.attributes].reverse() } } };
    sandbox.createJob('k', items, 'idem-arrays');
    expect(codeOf(() => sandbox.createJob('k', swapped, 'idem-arrays'))).toBe('IDEMPOTENCY_KEY_REUSED');
  });
});
