import { randomToken, type CheckContext } from './context';
import { compareInstants, formatInstant, parseInstant, secondsToReach } from '../../spec/contract';
import {
  advanceClock,
  availabilityRequest,
  exactly,
  holdSlot,
  holdSlots,
  millisecondsBetween,
  minimalOrder,
  shifted,
  tenantNow,
} from './flows';
import type { Check } from './context';

const MINUTE_MS = 60_000;
/** Stops the tenant clock, so that expiry arithmetic is exact. */
async function freezeClock(ctx: CheckContext): Promise<void> {
  const response = ctx.expectStatus(await ctx.call('freezeClock'), 200);
  ctx.expectEqual('the clock is frozen', true, response.json.frozen, response);
}

export const slotChecks: Check[] = [
  {
    id: 'SLOT-AVAILABILITY-SHAPE',
    title:
      'Availability returns one slot per slot_size step of the window and per operational model, each inside the window; operational_models_priority [] means FULL_SERVICE; a window shorter than a slot gives []',
    category: 'slots',
    level: 'contract',
    operations: ['getAvailability'],
    statuses: { getAvailability: [200] },
    async run(ctx) {
      const models = ['FULL_SERVICE', 'PICK_AND_COLLECT'] as const;
      const request = availabilityRequest({ slot_size: 60, operational_models_priority: [...models] });
      const slots = await holdSlots(ctx, ctx.client, request);
      const expected = models
        .flatMap((model) => [0, 1, 2, 3].map((k) => `${model} ${exactly(shifted(request.start, k * 60 * MINUTE_MS))}`))
        .sort();
      const received = slots.map((s) => `${s.operational_model} ${exactly(s.from)}`).sort();
      ctx.expectEqual('slots per model and step of a four-hour window with 60-minute slots', expected, received);
      for (const slot of slots) {
        ctx.expectEqual(
          `slot ${slot.id} lasts slot_size minutes`,
          60 * MINUTE_MS,
          millisecondsBetween(slot.from, slot.to),
        );
      }
      ctx.expectEqual('slot ids are unique', slots.length, new Set(slots.map((s) => s.id)).size);
      const empty = await holdSlots(ctx, ctx.client, { ...request, operational_models_priority: [] });
      ctx.expectEqual(
        'operational_models_priority [] offers FULL_SERVICE slots',
        ['FULL_SERVICE'],
        [...new Set(empty.map((s) => s.operational_model))],
      );
      const short = ctx.expectStatus(
        await ctx.call('getAvailability', {
          body: { ...request, end: shifted(request.start, 30 * MINUTE_MS) },
        }),
        200,
      );
      ctx.expectEqual('a 30-minute window holds no 60-minute slot', [], short.json, short);
    },
  },
  {
    id: 'SLOT-CHECK-200',
    title: 'A held slot checks valid: 200 AVAILABLE, not extended, with the expiry availability gave',
    category: 'slots',
    level: 'contract',
    operations: ['getAvailability', 'checkSlot'],
    statuses: { getAvailability: [200], checkSlot: [200] },
    async run(ctx) {
      const slot = await holdSlot(ctx);
      const response = ctx.expectStatus(await ctx.call('checkSlot', { pathParams: { slot_id: slot.id } }), 200);
      ctx.expectEqual(
        'the check of a fresh slot',
        {
          slot_id: slot.id,
          valid: true,
          status: 'AVAILABLE',
          expires_at: exactly(slot.expires_at),
          extended: false,
        },
        {
          slot_id: response.json.slot_id,
          valid: response.json.valid,
          status: response.json.status,
          expires_at: exactly(response.json.expires_at),
          extended: response.json.extended,
        },
        response,
      );
    },
  },
  {
    id: 'SLOT-UNKNOWN-404',
    title: 'An unknown slot id is 404 SLOT_NOT_FOUND on check, extend and create-job',
    category: 'slots',
    level: 'contract',
    operations: ['checkSlot', 'extendSlot', 'createJob'],
    statuses: { checkSlot: [404], extendSlot: [404], createJob: [404] },
    negative: true,
    async run(ctx) {
      const slotId = `conform-${randomToken()}`;
      ctx.softStatus(await ctx.call('checkSlot', { pathParams: { slot_id: slotId } }), 404, 'SLOT_NOT_FOUND', 'check');
      ctx.softStatus(
        await ctx.call('extendSlot', { pathParams: { slot_id: slotId } }),
        404,
        'SLOT_NOT_FOUND',
        'extend',
      );
      ctx.softStatus(await ctx.call('createJob', { body: minimalOrder(slotId) }), 404, 'SLOT_NOT_FOUND', 'create job');
    },
  },
  {
    id: 'SLOT-EXTEND-200',
    title: 'Extending pushes the expiry out and marks the slot extended; extending again changes nothing',
    category: 'slots',
    level: 'contract',
    operations: ['getAvailability', 'extendSlot', 'checkSlot'],
    statuses: { getAvailability: [200], extendSlot: [200], checkSlot: [200] },
    async run(ctx) {
      const slot = await holdSlot(ctx);
      const first = ctx.expectStatus(await ctx.call('extendSlot', { pathParams: { slot_id: slot.id } }), 200);
      ctx.expect(
        first.json.extended === true && first.json.valid === true && first.json.status === 'AVAILABLE',
        'an extended slot is valid, AVAILABLE and extended',
        {
          expected: { valid: true, status: 'AVAILABLE', extended: true },
          received: first.json,
          response: first,
        },
      );
      ctx.expect(compareInstants(first.json.expires_at, slot.expires_at) > 0, 'extending moves expires_at later', {
        expected: `after ${slot.expires_at}`,
        received: first.json.expires_at,
        response: first,
      });
      const second = ctx.expectStatus(await ctx.call('extendSlot', { pathParams: { slot_id: slot.id } }), 200);
      ctx.expectEqual(
        'extending twice leaves the expiry where the first extension put it',
        exactly(first.json.expires_at),
        exactly(second.json.expires_at),
        second,
      );
      const check = ctx.expectStatus(await ctx.call('checkSlot', { pathParams: { slot_id: slot.id } }), 200);
      ctx.expectEqual(
        'the check shows the extension',
        { extended: true, expires_at: exactly(first.json.expires_at) },
        { extended: check.json.extended, expires_at: exactly(check.json.expires_at) },
        check,
      );
    },
  },
  {
    id: 'SLOT-SINGLE-USE-409',
    title: 'A slot takes one job: a second is 409 SLOT_ALREADY_USED, the check says USED, extending is 409',
    category: 'slots',
    level: 'contract',
    operations: ['getAvailability', 'createJob', 'checkSlot', 'extendSlot'],
    statuses: { getAvailability: [200], createJob: [201, 409], checkSlot: [200], extendSlot: [409] },
    negative: true,
    async run(ctx) {
      const slot = await holdSlot(ctx);
      ctx.expectStatus(await ctx.call('createJob', { body: minimalOrder(slot.id) }), 201);
      ctx.expectStatus(await ctx.call('createJob', { body: minimalOrder(slot.id) }), 409, 'SLOT_ALREADY_USED');
      const check = ctx.expectStatus(await ctx.call('checkSlot', { pathParams: { slot_id: slot.id } }), 200);
      ctx.expectEqual(
        'a used slot checks invalid',
        { valid: false, status: 'USED' },
        { valid: check.json.valid, status: check.json.status },
        check,
      );
      ctx.expectStatus(await ctx.call('extendSlot', { pathParams: { slot_id: slot.id } }), 409);
    },
  },
  {
    id: 'SLOT-EXPIRED-417',
    title:
      'On a frozen clock a slot is valid at exactly expires_at; one second later it checks EXPIRED, and create-job and extend are 417 SLOT_EXPIRED',
    category: 'slots',
    level: 'sandbox',
    operations: ['freezeClock', 'getAvailability', 'getClock', 'advanceClock', 'checkSlot', 'createJob', 'extendSlot'],
    statuses: {
      freezeClock: [200],
      getAvailability: [200],
      getClock: [200],
      advanceClock: [200],
      checkSlot: [200],
      createJob: [417],
      extendSlot: [417],
    },
    negative: true,
    async run(ctx) {
      await freezeClock(ctx);
      const slot = await holdSlot(ctx);
      const now = await tenantNow(ctx);
      const untilExpiry = millisecondsBetween(now, slot.expires_at);
      ctx.expect(untilExpiry >= 2000, 'a fresh slot is held for more than a second', {
        expected: '>= 2000 ms',
        received: untilExpiry,
      });
      // To the last whole second at or before expires_at (exactly expires_at when the hold is whole seconds).
      const toExpiry = secondsToReach(now, slot.expires_at);
      const atOrBefore =
        compareInstants(parseInstant(slot.expires_at), { ...now, seconds: now.seconds + toExpiry }) === 0;
      await advanceClock(ctx, atOrBefore ? toExpiry : toExpiry - 1);
      const before = ctx.expectStatus(await ctx.call('checkSlot', { pathParams: { slot_id: slot.id } }), 200);
      ctx.expectEqual(
        'a slot at its expires_at is still valid',
        { valid: true, status: 'AVAILABLE' },
        { valid: before.json.valid, status: before.json.status },
        before,
      );
      await advanceClock(ctx, 1);
      const after = ctx.expectStatus(await ctx.call('checkSlot', { pathParams: { slot_id: slot.id } }), 200);
      ctx.expectEqual(
        'a slot past its expiry',
        { valid: false, status: 'EXPIRED' },
        { valid: after.json.valid, status: after.json.status },
        after,
      );
      ctx.expectStatus(await ctx.call('createJob', { body: minimalOrder(slot.id) }), 417, 'SLOT_EXPIRED');
      ctx.expectStatus(await ctx.call('extendSlot', { pathParams: { slot_id: slot.id } }), 417, 'SLOT_EXPIRED');
    },
  },
  {
    id: 'SLOT-EXTEND-TTL',
    title:
      'On a frozen clock an extension adds exactly three hold times to the original expiry, and the slot takes a job after the original expiry passed',
    category: 'slots',
    level: 'sandbox',
    operations: ['freezeClock', 'getClock', 'getAvailability', 'extendSlot', 'advanceClock', 'createJob', 'checkSlot'],
    statuses: {
      freezeClock: [200],
      getClock: [200],
      getAvailability: [200],
      extendSlot: [200],
      advanceClock: [200],
      createJob: [201],
      checkSlot: [200],
    },
    async run(ctx) {
      await freezeClock(ctx);
      const heldAt = await tenantNow(ctx);
      const slot = await holdSlot(ctx);
      const hold = millisecondsBetween(heldAt, slot.expires_at);
      const extended = ctx.expectStatus(await ctx.call('extendSlot', { pathParams: { slot_id: slot.id } }), 200);
      const added = millisecondsBetween(slot.expires_at, extended.json.expires_at);
      ctx.expectEqual(
        'the extension adds three times the hold time to the original expiry',
        `${(3 * hold) / 1000} s added`,
        `${added / 1000} s added`,
        extended,
      );
      await advanceClock(ctx, secondsToReach(heldAt, slot.expires_at) + 1);
      const now = await tenantNow(ctx);
      ctx.expect(compareInstants(now, slot.expires_at) > 0, 'the tenant clock is past the original expiry', {
        expected: `after ${slot.expires_at}`,
        received: formatInstant(now, { fractionDigits: 9 }),
      });
      const check = ctx.expectStatus(await ctx.call('checkSlot', { pathParams: { slot_id: slot.id } }), 200);
      ctx.expectEqual(
        'an extended slot past its original expiry',
        { valid: true, status: 'AVAILABLE' },
        { valid: check.json.valid, status: check.json.status },
        check,
      );
      ctx.expectStatus(await ctx.call('createJob', { body: minimalOrder(slot.id) }), 201);
    },
  },
];
