/**
 * The sandbox's fault rules, webhook endpoint faults and the clock's `to`: an integrator's
 * bad day on demand. Each check runs on the kit's own tenant and removes what it added;
 * on a tenant the kit did not create, the guard skips them (conformance/checks/context.ts).
 */
import { uncheckedBody } from '../../client/api';
import { randomToken } from './context';
import { formatInstant, plus, sameInstant } from '../../spec/contract/instant';
import { availabilityRequest, holdSlot, holdSlots, minimalOrder, newJob } from './flows';
import type { Check } from './context';
import { awaitDeliveries, registerInbox } from './webhooks';

export const faultChecks: Check[] = [
  {
    id: 'FAULT-BEFORE-CHANGES-NOTHING',
    title: 'A fault rule with phase before answers its status with FAULT_INJECTED and the operation changes nothing',
    category: 'faults',
    level: 'sandbox',
    operations: ['createFault', 'getAvailability', 'createJob', 'listJobs', 'listFaults'],
    statuses: { createFault: [201], getAvailability: [200], createJob: [503, 201], listJobs: [200], listFaults: [200] },
    async run(ctx) {
      const rule = ctx.expectStatus(
        await ctx.call('createFault', { body: { operations: ['createJob'], phase: 'before', status: 503, times: 1 } }),
        201,
      );
      const slot = await holdSlot(ctx);
      const faulted = ctx.expectStatus(await ctx.call('createJob', { body: minimalOrder(slot.id) }), 503);
      ctx.expectEqual(
        'the envelope names the rule',
        ['FAULT_INJECTED', rule.json.id],
        [faulted.json.code, faulted.json.fault_id],
        faulted,
      );
      ctx.expect(faulted.headers['retry-after'] !== undefined, 'a faulted 503 carries Retry-After', {
        expected: 'a Retry-After header',
        received: faulted.headers,
        response: faulted,
      });
      const jobs = ctx.expectStatus(await ctx.call('listJobs'), 200);
      ctx.expectEqual('no job was created', 0, jobs.json.length, jobs);
      ctx.expectStatus(await ctx.call('createJob', { body: minimalOrder(slot.id) }), 201);
      const rules = ctx.expectStatus(await ctx.call('listFaults'), 200);
      ctx.expectEqual(
        'the rule fired once',
        [1],
        rules.json.map((r) => r.fired),
        rules,
      );
    },
  },
  {
    id: 'FAULT-AFTER-COMMITS-IDEMPOTENT-RETRY',
    title:
      'A fault rule with phase after commits the job and loses the answer (504); the retry with the same Idempotency-Key replays the 201 of that job',
    category: 'faults',
    level: 'sandbox',
    operations: ['createFault', 'getAvailability', 'createJob', 'listJobs'],
    statuses: { createFault: [201], getAvailability: [200], createJob: [504, 201], listJobs: [200] },
    async run(ctx) {
      ctx.expectStatus(
        await ctx.call('createFault', { body: { operations: ['createJob'], phase: 'after', status: 504, times: 1 } }),
        201,
      );
      const slot = await holdSlot(ctx);
      const order = minimalOrder(slot.id);
      const headers = { 'Idempotency-Key': `conform-${randomToken()}` };
      const lost = ctx.expectStatus(await ctx.call('createJob', { body: order, headers }), 504);
      ctx.expectEqual('the answer is the injected fault', 'FAULT_INJECTED', lost.json.code, lost);
      const jobs = ctx.expectStatus(await ctx.call('listJobs'), 200);
      ctx.expectEqual('the job was committed all the same', 1, jobs.json.length, jobs);
      const retry = ctx.expectStatus(await ctx.call('createJob', { body: order, headers }), 201);
      ctx.expectEqual('the retry replays the committed job', jobs.json[0]?.id, retry.json.job_id, retry);
      const after = ctx.expectStatus(await ctx.call('listJobs'), 200);
      ctx.expectEqual('the retry created nothing', 1, after.json.length, after);
    },
  },
  {
    id: 'FAULT-TIMES',
    title: 'A fault rule with times: N fires on the next N matching calls and then never again, and counts them',
    category: 'faults',
    level: 'sandbox',
    operations: ['createFault', 'getAvailability', 'listFaults', 'deleteFault'],
    statuses: { createFault: [201], getAvailability: [500, 200], listFaults: [200], deleteFault: [204, 404] },
    async run(ctx) {
      const rule = ctx.expectStatus(
        await ctx.call('createFault', {
          body: { operations: ['getAvailability'], phase: 'before', status: 500, times: 2 },
        }),
        201,
      );
      ctx.expectStatus(await ctx.call('getAvailability', { body: availabilityRequest() }), 500);
      ctx.expectStatus(await ctx.call('getAvailability', { body: availabilityRequest() }), 500);
      await holdSlots(ctx); // the third call: answered as usual
      const rules = ctx.expectStatus(await ctx.call('listFaults'), 200);
      ctx.expectEqual(
        'fired twice, as many times as asked',
        [2],
        rules.json.map((r) => r.fired),
        rules,
      );
      ctx.expectStatus(await ctx.call('deleteFault', { pathParams: { fault_id: rule.json.id } }), 204);
      ctx.expectStatus(
        await ctx.call('deleteFault', { pathParams: { fault_id: rule.json.id } }),
        404,
        'FAULT_NOT_FOUND',
      );
    },
  },
  {
    id: 'FAULT-CONTROL-ROUTES-UNTOUCHED',
    title: 'A fault rule on every operation never touches /sandbox/* or /healthz; a bad rule is 422 VALIDATION_FAILED',
    category: 'faults',
    level: 'sandbox',
    operations: ['createFault', 'getAvailability', 'getClock', 'listFaults', 'listJobs', 'getHealth', 'deleteFault'],
    statuses: {
      createFault: [201, 422],
      getAvailability: [500, 200],
      getClock: [200],
      listFaults: [200],
      listJobs: [200],
      getHealth: [200],
      deleteFault: [204],
    },
    negative: true,
    async run(ctx) {
      const rule = ctx.expectStatus(await ctx.call('createFault', { body: { phase: 'before', status: 500 } }), 201);
      ctx.expectStatus(await ctx.call('getAvailability', { body: availabilityRequest() }), 500);
      ctx.expectStatus(await ctx.call('getClock'), 200);
      ctx.expectStatus(await ctx.call('listFaults'), 200);
      ctx.expectStatus(await ctx.call('listJobs'), 200);
      ctx.expectStatus(await ctx.call('getHealth', { apiKey: null }), 200);
      ctx.expectStatus(await ctx.call('deleteFault', { pathParams: { fault_id: rule.json.id } }), 204);
      await holdSlots(ctx);
      for (const bad of [
        { operations: ['resetTenant'], status: 500 },
        { status: 500, probability: 2 },
        { status: 418 },
      ])
        ctx.expectStatus(await ctx.call('createFault', { body: uncheckedBody(bad) }), 422, 'VALIDATION_FAILED');
    },
  },
  {
    id: 'FAULT-WEBHOOK-DUPLICATE',
    title: 'An endpoint with duplicate: true receives each delivery twice, with the same webhook-id',
    category: 'faults',
    level: 'sandbox',
    operations: [
      'createWebhookEndpoint',
      'listWebhookEndpoints',
      'updateWebhookEndpoint',
      'getAvailability',
      'createJob',
    ],
    statuses: {
      createWebhookEndpoint: [201],
      listWebhookEndpoints: [200],
      updateWebhookEndpoint: [200],
      getAvailability: [200],
      createJob: [201],
    },
    usesReceiver: true,
    async run(ctx) {
      const inbox = ctx.openInbox();
      await registerInbox(ctx, inbox);
      const endpoints = ctx.expectStatus(await ctx.call('listWebhookEndpoints'), 200);
      const endpoint = endpoints.json.find((e) => e.url === inbox.url);
      const id = ctx.expectPresent(endpoint?.id, 'the endpoint just registered is listed', { response: endpoints });
      const changed = ctx.expectStatus(
        await ctx.call('updateWebhookEndpoint', { pathParams: { endpoint_id: id }, body: { duplicate: true } }),
        200,
      );
      ctx.expectEqual('the endpoint now duplicates', true, changed.json.duplicate, changed);
      const { jobId } = await newJob(ctx);
      const deliveries = await awaitDeliveries(ctx, inbox, jobId, 2, 'the CREATED event, twice');
      ctx.expectEqual(
        'the two deliveries share one webhook-id',
        [deliveries[0]?.headers['webhook-id'], 'CREATED'],
        [deliveries[1]?.headers['webhook-id'], deliveries[1]?.json?.type],
      );
    },
  },
  {
    id: 'SANDBOX-CLOCK-ADVANCE-TO',
    title: 'Advancing the clock with to moves it to exactly that instant; a to in the past is 422 VALIDATION_FAILED',
    category: 'sandbox',
    level: 'sandbox',
    operations: ['freezeClock', 'advanceClock', 'getClock'],
    statuses: { freezeClock: [200], advanceClock: [200, 422], getClock: [200] },
    negative: true,
    async run(ctx) {
      const frozen = ctx.expectStatus(await ctx.call('freezeClock'), 200);
      // Kept at the precision and offset the implementation wrote: only the day and 1.234 s move.
      const to = formatInstant(plus(frozen.json.now, 2 * 86_400_000 + 1234), { fractionDigits: 9 });
      const moved = ctx.expectStatus(await ctx.call('advanceClock', { body: { to } }), 200);
      ctx.expect(sameInstant(to, moved.json.now), 'now is the instant asked', {
        expected: to,
        received: moved.json.now,
        response: moved,
      });
      ctx.expectStatus(await ctx.call('advanceClock', { body: { to: frozen.json.now } }), 422, 'VALIDATION_FAILED');
      const after = ctx.expectStatus(await ctx.call('getClock'), 200);
      ctx.expect(sameInstant(to, after.json.now), 'the refused move left the clock', {
        expected: to,
        received: after.json.now,
        response: after,
      });
    },
  },
];
