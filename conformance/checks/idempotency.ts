import { randomToken } from './context';
import { holdSlots, minimalOrder, reverseKeys } from './flows';
import type { Check } from './context';

/**
 * `value` as JSON text with every number spelled otherwise but equal (`57` as `57.0`,
 * `12.5` as `1.25e+1`): the same JSON value, which the contract says replays.
 */
export function numbersRespelled(value: unknown): string {
  if (typeof value === 'number') return Number.isInteger(value) ? `${value}.0` : value.toExponential();
  if (Array.isArray(value)) return `[${value.map(numbersRespelled).join(',')}]`;
  if (value !== null && typeof value === 'object')
    return `{${Object.entries(value)
      .map(([key, item]) => `${JSON.stringify(key)}:${numbersRespelled(item)}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

export const idempotencyChecks: Check[] = [
  {
    id: 'IDEMPOTENCY-REPLAY',
    title:
      'The same Idempotency-Key with the same body (the same JSON value: keys in any order, numbers spelled 57 or 57.0) replays the first 201 (same job, same Location) and creates nothing',
    category: 'idempotency',
    level: 'contract',
    operations: ['getAvailability', 'createJob'],
    statuses: { getAvailability: [200], createJob: [201, 409] },
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
      // The same JSON value, its numbers spelled otherwise (57.0 for 57): numbers are compared by value.
      const respelled = ctx.expectStatus(
        await ctx.call('createJob', { rawBody: numbersRespelled(order), headers }),
        201,
      );
      ctx.expectEqual('the body replayed for numbers spelled otherwise', first.json, respelled.json, respelled);
      // Without the key the same body is a new request, and the slot is already taken.
      ctx.expectStatus(await ctx.call('createJob', { body: order }), 409, 'SLOT_ALREADY_USED');
    },
  },
  {
    id: 'IDEMPOTENCY-KEY-REUSED-409',
    title:
      'The same Idempotency-Key with another body is 409 IDEMPOTENCY_KEY_REUSED and creates nothing, even when that body names an unknown slot (the key is judged before the slot)',
    category: 'idempotency',
    level: 'contract',
    operations: ['getAvailability', 'createJob', 'checkSlot'],
    statuses: { getAvailability: [200], createJob: [201, 409], checkSlot: [200] },
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
      ctx.expectStatus(
        await ctx.call('createJob', { body: minimalOrder(`conform-unknown-slot-${randomToken()}`), headers }),
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
