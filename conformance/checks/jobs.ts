import { getOperation, knownFieldsOnly, validateRequestBody } from '../../spec/contract';
import type { CheckContext } from '../context';
import { randomToken } from '../context';
import { availabilityRequest, createJob, example, fullOrder, getJob, holdSlot, holdSlots, minimalOrder, missingOrDifferent, newJob, type Json } from '../flows';
import type { Check } from '../types';
import { seededRandom } from './util';

const SEEDED_ORDERS = 5;
const createPointer = () => getOperation('createJob').requestBody!.pointer;

/** Creates the order and checks the 201, its Location, and that GET returns what was sent. */
async function expectAcceptedAsSent(ctx: CheckContext, order: Json, slot: Json, label: string): Promise<Json> {
  const response = await ctx.call('createJob', { body: order });
  ctx.expectStatus(response, 201);
  const jobId = response.json.job_id;
  const location = response.headers.location ?? '';
  ctx.expect(location === `/jobs/${jobId}` || location.endsWith(`/jobs/${encodeURIComponent(jobId)}`), `${label}: Location must point at the new job`, {
    expected: `/jobs/${jobId}`, received: location || '(no Location header)', response,
  });
  const job = await getJob(ctx, jobId);
  const { slot_id: _slotId, ...sent } = knownFieldsOnly(createPointer(), order) as Json;
  const differences = missingOrDifferent(sent, job, '#/components/schemas/Job');
  ctx.expect(differences.length === 0, `${label}: GET /jobs/{job_id} does not return what was sent`, { expected: sent, received: differences });
  ctx.expectEqual(`${label}: the job is on the slot it was created on`, slot.id, job.slot?.id);
  ctx.expectEqual(`${label}: a new job is CREATED`, 'CREATED', job.state);
  const request = availabilityRequest();
  ctx.expect(missingOrDifferent(knownFieldsOnly('#/components/schemas/Location', request.origin), job.origin, '#/components/schemas/Location').length === 0
    && missingOrDifferent(request.job_items, job.job_items, '#/components/schemas/Job/properties/job_items').length === 0, `${label}: the job inherits origin and items from its slot's availability request`, {
    expected: { origin: request.origin, job_items: request.job_items }, received: { origin: job.origin, job_items: job.job_items },
  });
  return { response, job };
}

/** A valid order drawn from the full example: random optional parts, random enum values. */
export function seededOrder(random: () => number, slotId: string): Json {
  const full = fullOrder(slotId);
  const pick = <T>(values: T[]): T => values[Math.floor(random() * values.length)];
  const order: Json = minimalOrder(slotId, { client_reference: `SEED-${Math.floor(random() * 1e9)}` });
  for (const field of ['add_delivery_code', 'pick_up_code', 'round_trip_info', 'curbside', 'job_comment', 'additional_card_info', 'contact_less', 'external_data']) {
    if (random() < 0.5) order[field] = full[field];
  }
  if (random() < 0.5) order.recipient = { ...full.recipient };
  order.recipient.name = pick(['Ana María López', 'Luis Pérez', 'Zoë O\'Brien', '李小龙', 'Renée Müller']);
  order.payment_info = random() < 0.5 ? structuredClone(full.payment_info) : order.payment_info;
  order.payment_info.prices.order_value = Math.round(random() * 100_000) / 100;
  order.payment_info.payment.method = pick(['CASH', 'PREPAID', 'PAYMENT_TERMINAL', 'LOYALTY_CARD', 'PAYMENT_LINK', 'TRANSFER']);
  order.payment_info.payment.payment_status = pick(['SUCCEEDED', 'FAILED', 'PENDING']);
  return order;
}

export const jobChecks: Check[] = [
  {
    id: 'JOB-SPEC-EXAMPLES-201',
    title: 'The spec\'s create-job examples are accepted: 201, Location, no warnings, and GET returns what was sent',
    category: 'jobs',
    level: 'contract',
    operations: ['getAvailability', 'createJob', 'getJob'],
    async run(ctx) {
      for (const name of ['CreateJobRequest', 'CreateJobRequestMinimal']) {
        const slot = await holdSlot(ctx);
        const { response } = await expectAcceptedAsSent(ctx, { ...example(name), slot_id: slot.id }, slot, `example ${name}`);
        ctx.expectEqual(`example ${name}: an example with only known fields draws no warnings`, [], response.json.warnings, response);
      }
    },
  },
  {
    id: 'JOB-SEEDED-ORDERS-201',
    title: `${SEEDED_ORDERS} valid orders generated from the run's seed are accepted and read back as sent`,
    category: 'jobs',
    level: 'contract',
    operations: ['getAvailability', 'createJob', 'getJob'],
    async run(ctx) {
      const random = seededRandom(ctx.seed);
      const slots = await holdSlots(ctx);
      for (let i = 0; i < SEEDED_ORDERS; i++) {
        const slot = slots[i] ?? await holdSlot(ctx);
        const order = seededOrder(random, slot.id);
        const valid = validateRequestBody('createJob', order);
        if (!valid.ok) throw new Error(`the kit generated an invalid order: ${JSON.stringify(valid.errors)}`);
        await expectAcceptedAsSent(ctx, order, slot, `seed ${ctx.seed} order ${i + 1}`);
      }
    },
  },
  {
    id: 'JOB-UNKNOWN-FIELDS-WARNED',
    title: 'Unknown fields are accepted and named in warnings (UNKNOWN_FIELD), an unusual contact_less.comment draws COMPATIBILITY',
    category: 'jobs',
    level: 'contract',
    operations: ['getAvailability', 'createJob', 'getJob'],
    async run(ctx) {
      const slot = await holdSlot(ctx);
      const order = minimalOrder(slot.id, { gift_wrap: true, contact_less: { comment: 'Ring twice' } });
      order.recipient.nickname = 'Lu';
      const response = await ctx.call('createJob', { body: order });
      ctx.expectStatus(response, 201);
      const warnings = Array.isArray(response.json.warnings) ? response.json.warnings.map((w: Json) => `${w.code} ${w.param}`) : [];
      for (const expected of ['UNKNOWN_FIELD gift_wrap', 'UNKNOWN_FIELD recipient.nickname', 'COMPATIBILITY contact_less.comment']) {
        ctx.expect(warnings.includes(expected), `warnings must name ${expected.split(' ')[1]}`, { expected, received: warnings, response });
      }
      const job = await getJob(ctx, response.json.job_id);
      ctx.expect(!('gift_wrap' in job) && !('nickname' in (job.recipient ?? {})), 'the job keeps known fields only', {
        expected: 'no gift_wrap, no recipient.nickname', received: job,
      });
    },
  },
  {
    id: 'JOB-NOT-FOUND-404',
    title: 'An unknown job id is 404 JOB_NOT_FOUND on every job operation; with an invalid body it is 422 first (the request is judged before the job is looked up)',
    category: 'jobs',
    level: 'contract',
    operations: ['getJob', 'cancelJob', 'updateDeliveryCode', 'getAvailability', 'rescheduleJob'],
    negative: true,
    async run(ctx) {
      const pathParams = { job_id: `conform-${randomToken()}` };
      ctx.softStatus(await ctx.call('getJob', { pathParams }), 404, 'JOB_NOT_FOUND', 'GET');
      ctx.softStatus(await ctx.call('cancelJob', { pathParams, body: example('CancelJobRequest') }), 404, 'JOB_NOT_FOUND', 'cancel');
      ctx.softStatus(await ctx.call('updateDeliveryCode', { pathParams, body: { delivery_code: '1234' } }), 404, 'JOB_NOT_FOUND', 'update-delivery-code');
      const slot = await holdSlot(ctx);
      ctx.softStatus(await ctx.call('rescheduleJob', { pathParams, body: { slot_id: slot.id, reason: 'conformance' } }), 404, undefined, 'reschedule');
      ctx.softStatus(await ctx.call('updateDeliveryCode', { pathParams, body: { delivery_code: '12' } }), 422, 'VALIDATION_FAILED', 'update-delivery-code of an unknown job with an invalid code');
    },
  },
  {
    id: 'JOB-CANCEL',
    title: 'Cancelling gives 200 CANCELLED with the reason as cancellation_reason; a JSON null body is no body (CANCELLED, no reason); cancelling again is 409 ILLEGAL_TRANSITION',
    category: 'jobs',
    level: 'contract',
    operations: ['getAvailability', 'createJob', 'cancelJob', 'getJob'],
    negative: true,
    async run(ctx) {
      const { jobId } = await newJob(ctx);
      const reason = `conformance ${randomToken(4)}`;
      const response = await ctx.call('cancelJob', { pathParams: { job_id: jobId }, body: { reason } });
      ctx.expectStatus(response, 200);
      ctx.expectEqual('the cancelled job', { state: 'CANCELLED', cancellation_reason: reason }, { state: response.json.state, cancellation_reason: response.json.cancellation_reason }, response);
      const job = await getJob(ctx, jobId);
      ctx.expectEqual('GET shows the job cancelled', 'CANCELLED', job.state);
      ctx.expectEqual('history ends with CANCELLED', 'CANCELLED', job.history?.[job.history.length - 1]?.type);
      const again = await ctx.call('cancelJob', { pathParams: { job_id: jobId } });
      ctx.expectStatus(again, 409, 'ILLEGAL_TRANSITION');
      const other = await newJob(ctx);
      const withNull = await ctx.call('cancelJob', { pathParams: { job_id: other.jobId }, body: null });
      ctx.expectStatus(withNull, 200);
      ctx.expectEqual('a job cancelled with a JSON null body', { state: 'CANCELLED', cancellation_reason: undefined },
        { state: withNull.json.state, cancellation_reason: withNull.json.cancellation_reason }, withNull);
    },
  },
  {
    id: 'JOB-PAYMENT-AND-EXTERNAL-DATA',
    title: 'payment_info and external_data are replaced whole and read back as sent; payment_info of a final job is 409 ILLEGAL_TRANSITION',
    category: 'jobs',
    level: 'contract',
    operations: ['getAvailability', 'createJob', 'updatePaymentInfo', 'replaceExternalData', 'getJob', 'cancelJob'],
    negative: true,
    async run(ctx) {
      const { jobId } = await newJob(ctx);
      const pathParams = { job_id: jobId };
      const paymentInfo = example('PaymentInfo');
      ctx.expectStatus(await ctx.call('updatePaymentInfo', { pathParams, body: paymentInfo }), 200);
      const externalData = { backoffice: { ticket: `BO-${randomToken(4)}` } };
      ctx.expectStatus(await ctx.call('replaceExternalData', { pathParams, body: externalData }), 200);
      const job = await getJob(ctx, jobId);
      ctx.expectEqual('GET returns the new payment_info', [], missingOrDifferent(paymentInfo, job.payment_info, '#/components/schemas/PaymentInfo'));
      ctx.expectEqual('external_data is replaced whole', externalData, job.external_data);
      ctx.expectStatus(await ctx.call('cancelJob', { pathParams, body: { reason: 'conformance' } }), 200);
      ctx.expectStatus(await ctx.call('updatePaymentInfo', { pathParams, body: paymentInfo }), 409, 'ILLEGAL_TRANSITION');
    },
  },
  {
    id: 'JOB-RESCHEDULE',
    title: 'Rescheduling moves the job to a new held slot and uses it; a used slot is 409, an unknown one 404',
    category: 'jobs',
    level: 'contract',
    operations: ['getAvailability', 'createJob', 'rescheduleJob', 'checkSlot'],
    negative: true,
    async run(ctx) {
      const [first, second] = await holdSlots(ctx);
      ctx.expect(second, 'availability for four hours returned a single slot; the check needs two', { expected: '2 or more slots', received: 1 });
      const jobId = await createJob(ctx, minimalOrder(first.id));
      const response = await ctx.call('rescheduleJob', { pathParams: { job_id: jobId }, body: { slot_id: second.id, reason: 'Recipient not home' } });
      ctx.expectStatus(response, 200);
      ctx.expectEqual('the job is on the new slot', second.id, response.json.slot?.id, response);
      const check = await ctx.call('checkSlot', { pathParams: { slot_id: second.id } });
      ctx.expectStatus(check, 200);
      ctx.expectEqual('the new slot is used', { valid: false, status: 'USED' }, { valid: check.json.valid, status: check.json.status }, check);
      const other = await createJob(ctx, minimalOrder((await holdSlot(ctx)).id));
      const used = await ctx.call('rescheduleJob', { pathParams: { job_id: other }, body: { slot_id: second.id, reason: 'again' } });
      ctx.expectStatus(used, 409, 'SLOT_ALREADY_USED');
      const unknown = await ctx.call('rescheduleJob', { pathParams: { job_id: other }, body: { slot_id: `conform-${randomToken()}`, reason: 'unknown' } });
      ctx.expectStatus(unknown, 404, 'SLOT_NOT_FOUND');
    },
  },
];
