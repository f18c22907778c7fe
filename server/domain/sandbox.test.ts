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
