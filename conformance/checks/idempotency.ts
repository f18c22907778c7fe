import { randomToken } from './context';
import { holdSlots, minimalOrder, reverseKeys } from './flows';
import type { Check } from './context';

export const idempotencyChecks: Check[] = [
  {
    id: 'IDEMPOTENCY-REPLAY',
    title:
      'The same Idempotency-Key with the same body (the same JSON value, keys in any order) replays the first 201 (same job, same Location) and creates nothing',
    category: 'idempotency',
    level: 'contract',
    operations: ['getAvailability', 'createJob'],
    negative: true,
    async run(ctx) {
      const [slot] = await holdSlots(ctx);
      const order = minimalOrder(slot.id);
      const headers = { 'Idempotency-Key': `conform-${randomToken()}` };
      const first = ctx.expectStatus(await ctx.call('createJob', { body: order, headers }), 201);
      // The same JSON value, spelled with its keys in the reverse order.
      const reordered = reverseKeys(order);
      const replay = ctx.expectStatus(await ctx.call('createJob', { body: reordered, headers }), 201);
      ctx.expectEqual('the replayed body', first.json, replay.json, replay);
      ctx.expectEqual('the replayed Location', first.headers.location, replay.headers.location, replay);
      // Without the key the same body is a new request, and the slot is already taken.
      ctx.expectStatus(await ctx.call('createJob', { body: order }), 409, 'SLOT_ALREADY_USED');
    },
  },
  {
    id: 'IDEMPOTENCY-KEY-REUSED-409',
    title: 'The same Idempotency-Key with another body is 409 IDEMPOTENCY_KEY_REUSED and creates nothing',
    category: 'idempotency',
    level: 'contract',
    operations: ['getAvailability', 'createJob', 'checkSlot'],
    negative: true,
    async run(ctx) {
      const [first, second] = await holdSlots(ctx);
      ctx.expect(second, 'the check needs two slots', { expected: '2 or more slots', received: 1 });
      const headers = { 'Idempotency-Key': `conform-${randomToken()}` };
      ctx.expectStatus(await ctx.call('createJob', { body: minimalOrder(first.id), headers }), 201);
      ctx.expectStatus(
        await ctx.call('createJob', { body: minimalOrder(second.id), headers }),
        409,
        'IDEMPOTENCY_KEY_REUSED',
      );
      const check = ctx.expectStatus(await ctx.call('checkSlot', { pathParams: { slot_id: second.id } }), 200);
      ctx.expectEqual(
        'the refused request left its slot free',
        { valid: true, status: 'AVAILABLE' },
        { valid: check.json.valid, status: check.json.status },
        check,
      );
    },
  },
];
