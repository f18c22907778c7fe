/** The domain on its own: no HTTP, a pinned real clock, events collected from the listener. */
import { spec } from '../../spec/contract';
import { STORE_KINDS, storesOf } from '../../test/support/stores';
import { DomainError } from '../domain/errors';
import { createJob } from '../domain/jobs';
import { DEFAULT_SANDBOX_CONFIG, DEFAULT_SANDBOX_POLICIES } from '../domain/sandbox';
import { Sandbox } from './sandbox';
import type { JobEvent } from '../domain/operation';

const T0 = Date.parse('2026-11-27T15:00:00Z');

const availability = () => structuredClone(spec.components.examples.AvailabilityRequest.value);
const order = (slot_id: string, extra = {}) => ({
  ...structuredClone(spec.components.examples.CreateJobRequestMinimal.value),
  slot_id,
  ...extra,
});

async function codeOf(fn: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof DomainError) return error.code;
    throw error;
  }
  return undefined;
}

describe.each(STORE_KINDS)('on the %s store', (kind) => {
  const stores = storesOf(kind);

  async function setup(config = {}) {
    const sandbox = new Sandbox(await stores.open(() => T0), config);
    const events: JobEvent['type'][] = [];
    sandbox.onEvent((_tenant, event) => events.push(event.type));
    return { sandbox, events };
  }

  describe('slots', () => {
    it('are held for the TTL from the tenant clock and expire after it', async () => {
      const { sandbox } = await setup({ slotTtlSeconds: 60 });
      const [slot] = await sandbox.availability('k', availability());
      expect(slot.expires_at).toBe('2026-11-27T15:01:00.000Z');
      await sandbox.advanceClock('k', { seconds: 60 });
      expect((await sandbox.checkSlot('k', slot.id)).status).toBe('AVAILABLE');
      await sandbox.advanceClock('k', { seconds: 1 });
      expect((await sandbox.checkSlot('k', slot.id)).status).toBe('EXPIRED');
      expect(await codeOf(() => sandbox.createJob('k', order(slot.id)))).toBe('SLOT_EXPIRED');
    });

    it('extend to three holds past the original expiry', async () => {
      const { sandbox } = await setup({ slotTtlSeconds: 60 });
      const [slot] = await sandbox.availability('k', availability());
      expect((await sandbox.extendSlot('k', slot.id)).expires_at).toBe('2026-11-27T15:04:00.000Z');
      await sandbox.advanceClock('k', { seconds: 239 });
      expect((await sandbox.createJob('k', order(slot.id))).replayed).toBe(false);
    });

    it('belong to one tenant only', async () => {
      const { sandbox } = await setup();
      const [slot] = await sandbox.availability('a', availability());
      expect(await codeOf(() => sandbox.checkSlot('b', slot.id))).toBe('SLOT_NOT_FOUND');
    });

    it('are forgotten oldest first past the per-tenant bound', async () => {
      const { sandbox } = await setup({ maxSlotsPerTenant: 4 });
      const first = await sandbox.availability('k', availability());
      const second = await sandbox.availability('k', { ...availability(), slot_size: 30 });
      expect(await codeOf(() => sandbox.checkSlot('k', first[0].id))).toBe('SLOT_NOT_FOUND');
      expect((await sandbox.checkSlot('k', second[7].id)).valid).toBe(true);
    });
  });

  describe('jobs', () => {
    it('take a slot once and emit CREATED', async () => {
      const { sandbox, events } = await setup();
      const [slot] = await sandbox.availability('k', availability());
      const created = await sandbox.createJob('k', order(slot.id));
      expect((await sandbox.getJob('k', created.jobId)).slot.id).toBe(slot.id);
      expect(await codeOf(() => sandbox.createJob('k', order(slot.id)))).toBe('SLOT_ALREADY_USED');
      expect(events).toEqual(['CREATED']);
    });

    it("warn when the slot's window starts before the tenant's clock, and only then", async () => {
      const { sandbox } = await setup();
      const past = {
        ...availability(),
        start: '2026-11-27T14:00:00Z',
        end: '2026-11-27T16:00:00Z',
        slot_size: 60 as const,
      };
      const [begun, ahead] = await sandbox.availability('k', past);
      const warned = await sandbox.createJob('k', order(begun.id));
      expect(warned.response.warnings).toEqual([
        {
          code: 'WINDOW_IN_PAST',
          param: 'slot_id',
          msg: "The slot's window starts at 2026-11-27T14:00:00.000Z, before the tenant's clock (2026-11-27T15:00:00.000Z)",
        },
      ]);
      expect((await sandbox.createJob('k', order(ahead.id))).response.warnings).toEqual([]);
    });

    it('replay an idempotent create without a second job or event', async () => {
      const { sandbox, events } = await setup();
      const [slot] = await sandbox.availability('k', availability());
      const first = await sandbox.createJob('k', order(slot.id), 'idem');
      const replay = await sandbox.createJob('k', order(slot.id), 'idem');
      expect(replay).toEqual({ ...first, replayed: true });
      expect(await sandbox.listJobs('k')).toHaveLength(1);
      expect(events).toEqual(['CREATED']);
      expect(await codeOf(() => sandbox.createJob('k', order(slot.id, { client_reference: 'x' }), 'idem'))).toBe(
        'IDEMPOTENCY_KEY_REUSED',
      );
    });

    it('walk the lifecycle emitting each step once, and need the code at the end', async () => {
      const { sandbox, events } = await setup({ deliveryCodeAttempts: 2 });
      const [slot] = await sandbox.availability('k', availability());
      const { jobId } = await sandbox.createJob('k', order(slot.id, { add_delivery_code: true }));
      const job = await sandbox.getJob('k', jobId);
      expect(job.delivery_code).toMatch(/^\d{4}$/);
      await sandbox.advanceJob('k', job.id, { to: 'DELIVERING_STARTED' });
      const wrong = job.delivery_code === '0000' ? '1111' : '0000';
      expect(await codeOf(() => sandbox.advanceJob('k', job.id, { delivery_code: wrong }))).toBe(
        'INVALID_DELIVERY_CODE',
      );
      expect(await codeOf(() => sandbox.advanceJob('k', job.id, { delivery_code: wrong }))).toBe(
        'INVALID_DELIVERY_CODE',
      );
      expect(await codeOf(() => sandbox.advanceJob('k', job.id, { delivery_code: job.delivery_code }))).toBe(
        'DELIVERY_CODE_LOCKED',
      );
      await sandbox.updateDeliveryCode('k', job.id, { delivery_code: '5555' });
      await sandbox.advanceJob('k', job.id, { delivery_code: '5555' });
      expect(events).toEqual([
        'CREATED',
        'PICKING_STARTED',
        'PICKING_FINISHED',
        'CHECKING_OUT_STARTED',
        'CHECKED_OUT',
        'GOING_TO_DESTINATION_STARTED',
        'ARRIVED_TO_DESTINATION',
        'DELIVERING_STARTED',
        'CLIENT_RECEIVED',
      ]);
      expect(await codeOf(() => sandbox.cancelJob('k', job.id))).toBe('ILLEGAL_TRANSITION');
    });

    it('refuse past the bound only when no finished job can be evicted', async () => {
      const { sandbox } = await setup({ maxJobsPerTenant: 1 });
      const slots = await sandbox.availability('k', availability());
      const { jobId } = await sandbox.createJob('k', order(slots[0].id));
      expect(await codeOf(() => sandbox.createJob('k', order(slots[1].id)))).toBe('TENANT_FULL');
      expect((await sandbox.cancelJob('k', jobId)).state).toBe('CANCELLED');
      const second = await sandbox.createJob('k', order(slots[1].id));
      expect((await sandbox.listJobs('k')).map((j) => j.id)).toEqual([second.jobId]);
    });

    it('are wiped by a reset of their tenant only', async () => {
      const { sandbox } = await setup();
      const a = (await sandbox.createJob('a', order((await sandbox.availability('a', availability()))[0].id))).jobId;
      const b = (await sandbox.createJob('b', order((await sandbox.availability('b', availability()))[0].id))).jobId;
      await sandbox.advanceClock('a', { seconds: 100 });
      await sandbox.reset('a');
      expect(await codeOf(() => sandbox.getJob('a', a))).toBe('JOB_NOT_FOUND');
      expect((await sandbox.clock('a')).offset_seconds).toBe(0);
      expect((await sandbox.getJob('b', b)).id).toBe(b);
    });

    it('are stored as whole records: what a caller was given never changes behind it', async () => {
      const { sandbox } = await setup();
      const [slot] = await sandbox.availability('k', availability());
      const { jobId } = await sandbox.createJob('k', order(slot.id));
      const before = await sandbox.getJob('k', jobId);
      const copy = structuredClone(before);
      await sandbox.advanceJob('k', jobId);
      expect(before).toEqual(copy);
      if (kind === 'memory') expect(Object.isFrozen(before)).toBe(true);
      expect((await sandbox.getJob('k', jobId)).state).toBe('PICKING_STARTED');
    });
  });

  describe('a frozen clock', () => {
    it('stands still while real time passes, moves only when advanced, and runs on from where it stood', async () => {
      let real = T0;
      const sandbox = new Sandbox(await stores.open(() => real));
      expect(await sandbox.freezeClock('k')).toEqual({
        now: '2026-11-27T15:00:00.000Z',
        offset_seconds: 0,
        frozen: true,
      });
      real += 3_600_000;
      expect((await sandbox.clock('k')).now).toBe('2026-11-27T15:00:00.000Z');
      expect((await sandbox.freezeClock('k')).now).toBe('2026-11-27T15:00:00.000Z');
      expect(await sandbox.advanceClock('k', { seconds: 90 })).toEqual({
        now: '2026-11-27T15:01:30.000Z',
        offset_seconds: 90,
        frozen: true,
      });
      // The hour it stood still is absorbed: no jump when it runs again.
      expect(await sandbox.unfreezeClock('k')).toEqual({
        now: '2026-11-27T15:01:30.000Z',
        offset_seconds: 90 - 3600,
        frozen: false,
      });
      real += 10_000;
      expect((await sandbox.clock('k')).now).toBe('2026-11-27T15:01:40.000Z');
      expect((await sandbox.unfreezeClock('k')).now).toBe('2026-11-27T15:01:40.000Z');
    });

    it('expires a slot exactly one millisecond after expires_at', async () => {
      let real = T0;
      const sandbox = new Sandbox(await stores.open(() => real), { slotTtlSeconds: 60 });
      await sandbox.freezeClock('k');
      const [slot] = await sandbox.availability('k', availability());
      real += 120_000;
      await sandbox.advanceClock('k', { seconds: 60 });
      expect((await sandbox.checkSlot('k', slot.id)).status).toBe('AVAILABLE');
      await sandbox.advanceClock('k', { seconds: 1 });
      expect((await sandbox.checkSlot('k', slot.id)).status).toBe('EXPIRED');
    });
  });

  describe('recipient instructions', () => {
    it('with only unknown fields: 200, the job unchanged, and no event', async () => {
      const { sandbox, events } = await setup();
      const [slot] = await sandbox.availability('k', availability());
      const { jobId } = await sandbox.createJob('k', order(slot.id));
      const before = structuredClone(await sandbox.getJob('k', jobId));
      const after = await sandbox.updateRecipientInstructions('k', jobId, { nickname: 'Lu' } as never);
      expect(after).toEqual(before);
      expect(events).toEqual(['CREATED']);
      await sandbox.updateRecipientInstructions('k', jobId, { job_comment: 'Ring twice' });
      expect(events).toEqual(['CREATED', 'JOB_COMMENT_UPDATED']);
    });
  });

  describe('the unit of work', () => {
    it('takes the writes and events from the domain, which writes nothing itself', async () => {
      const { sandbox } = await setup();
      const [slot] = await sandbox.availability('k', availability());
      const { writes, events } = await sandbox.store.transact('k', async (tx) => {
        const op = { tx, now: T0, config: DEFAULT_SANDBOX_CONFIG, policies: DEFAULT_SANDBOX_POLICIES };
        const outcome = await createJob(op, order(slot.id), 'idem');
        expect(await tx.jobs.count()).toBe(0);
        expect((await tx.slots.get(slot.id))?.usedByJobId).toBeNull();
        expect(await tx.idempotency.count()).toBe(0);
        return outcome;
      });
      const jobId = events[0].job.id;
      expect(writes.map((w) => `${'put' in w ? 'put' : 'delete'} ${w.kind}`)).toEqual([
        'put slots',
        'put jobs',
        'put idempotency',
      ]);
      expect(events.map((e) => e.type)).toEqual(['CREATED']);
      expect(await sandbox.listJobs('k')).toEqual([]);
      expect(await codeOf(() => sandbox.getJob('k', jobId))).toBe('JOB_NOT_FOUND');
    });
  });

  describe('idempotency', () => {
    it('takes the same JSON value as the same body, whatever the order of its keys', async () => {
      const { sandbox } = await setup();
      const [slot, other] = await sandbox.availability('k', availability());
      const body = order(slot.id);
      const first = await sandbox.createJob('k', body, 'idem');
      const reordered = JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(body).reverse())));
      expect(await sandbox.createJob('k', reordered, 'idem')).toMatchObject({
        replayed: true,
        response: first.response,
      });
      const items = {
        ...body,
        slot_id: other.id,
        payment_info: {
          ...body.payment_info,
          prices: {
            ...body.payment_info.prices,
            attributes: [
              { type: 'a', name: 'x', value: 1 },
              { type: 'b', name: 'y', value: 2 },
            ],
          },
        },
      };
      const swapped = {
        ...items,
        payment_info: {
          ...items.payment_info,
          prices: { ...items.payment_info.prices, attributes: [...items.payment_info.prices.attributes].reverse() },
        },
      };
      await sandbox.createJob('k', items, 'idem-arrays');
      expect(await codeOf(() => sandbox.createJob('k', swapped, 'idem-arrays'))).toBe('IDEMPOTENCY_KEY_REUSED');
    });
  });
});
