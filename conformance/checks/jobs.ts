import { generateOrder } from '../../fixtures/generate';
import { LOCALES } from '../../fixtures/locales';
import { getOperation, knownFieldsOnly, validateRequestBody, type Schemas } from '../../spec/contract';
import { uncheckedBody, type ApiResponse } from '../../client/api';
import type { CheckContext } from './context';
import { randomToken } from './context';
import {
  availabilityRequest,
  createJob,
  example,
  getJob,
  holdSlot,
  holdSlots,
  minimalOrder,
  missingOrDifferent,
  newJob,
  type Order,
} from './flows';
import type { Check } from './context';

const SEEDED_ORDERS = 5;
const createPointer = () => getOperation('createJob').requestBody!.pointer;

/** Creates the order and checks the 201, its Location, and that GET returns what was sent. */
async function expectAcceptedAsSent(
  ctx: CheckContext,
  order: Order,
  slot: Schemas['Slot'],
  label: string,
): Promise<{ response: ApiResponse<'createJob', 201>; job: Schemas['Job'] }> {
  const response = ctx.expectStatus(await ctx.call('createJob', { body: order }), 201);
  const jobId = response.json.job_id;
  const location = response.headers.location ?? '';
  ctx.expect(
    location === `/jobs/${jobId}` || location.endsWith(`/jobs/${encodeURIComponent(jobId)}`),
    `${label}: Location must point at the new job`,
    {
      expected: `/jobs/${jobId}`,
      received: location || '(no Location header)',
      response,
    },
  );
  const job = await getJob(ctx, jobId);
  const { slot_id: _slotId, ...sent } = knownFieldsOnly(createPointer(), order);
  const differences = missingOrDifferent(sent, job, '#/components/schemas/Job');
  ctx.expect(differences.length === 0, `${label}: GET /jobs/{job_id} does not return what was sent`, {
    expected: sent,
    received: differences,
  });
  ctx.expectEqual(`${label}: the job is on the slot it was created on`, slot.id, job.slot?.id);
  ctx.expectEqual(`${label}: a new job is CREATED`, 'CREATED', job.state);
  const request = availabilityRequest();
  ctx.expect(
    missingOrDifferent(
      knownFieldsOnly('#/components/schemas/Location', request.origin),
      job.origin,
      '#/components/schemas/Location',
    ).length === 0 &&
      missingOrDifferent(request.job_items, job.job_items, '#/components/schemas/Job/properties/job_items').length ===
        0,
    `${label}: the job inherits origin and items from its slot's availability request`,
    {
      expected: { origin: request.origin, job_items: request.job_items },
      received: { origin: job.origin, job_items: job.job_items },
    },
  );
  return { response, job };
}

/**
 * Valid order `index` of the run's seed, drawn by the fixture factory (its locales in
 * turn, mixed scenarios) and placed on the kit's slot.
 */
export function seededOrder(seed: number, index: number, slotId: string): Order {
  const fixture = generateOrder({ seed, locale: LOCALES[index % LOCALES.length], scenario: 'mixed' }, index);
  return { ...fixture.create_job, slot_id: slotId };
}

export const jobChecks: Check[] = [
  {
    id: 'JOB-SPEC-EXAMPLES-201',
    title: "The spec's create-job examples are accepted: 201, Location, no warnings, and GET returns what was sent",
    category: 'jobs',
    level: 'contract',
    operations: ['getAvailability', 'createJob', 'getJob'],
    statuses: { getAvailability: [200], createJob: [201], getJob: [200] },
    async run(ctx) {
      for (const name of ['CreateJobRequest', 'CreateJobRequestMinimal'] as const) {
        const slot = await holdSlot(ctx);
        const { response } = await expectAcceptedAsSent(
          ctx,
          { ...example(name), slot_id: slot.id },
          slot,
          `example ${name}`,
        );
        ctx.expectEqual(
          `example ${name}: an example with only known fields draws no warnings`,
          [],
          response.json.warnings,
          response,
        );
      }
    },
  },
  {
    id: 'JOB-SEEDED-ORDERS-201',
    title: `${SEEDED_ORDERS} valid orders generated from the run's seed are accepted and read back as sent`,
    category: 'jobs',
    level: 'contract',
    operations: ['getAvailability', 'createJob', 'getJob'],
    statuses: { getAvailability: [200], createJob: [201], getJob: [200] },
    async run(ctx) {
      const slots = await holdSlots(ctx);
      for (let i = 0; i < SEEDED_ORDERS; i++) {
        const slot = slots[i] ?? (await holdSlot(ctx));
        const order = seededOrder(ctx.seed, i, slot.id);
        const valid = validateRequestBody('createJob', order);
        if (!valid.ok) throw new Error(`the kit generated an invalid order: ${JSON.stringify(valid.errors)}`);
        await expectAcceptedAsSent(ctx, order, slot, `seed ${ctx.seed} order ${i + 1}`);
      }
    },
  },
  {
    id: 'JOB-UNKNOWN-FIELDS-WARNED',
    title:
      'Unknown fields are accepted and named in warnings (UNKNOWN_FIELD), an unusual contact_less.comment draws COMPATIBILITY',
    category: 'jobs',
    level: 'contract',
    operations: ['getAvailability', 'createJob', 'getJob'],
    statuses: { getAvailability: [200], createJob: [201], getJob: [200] },
    async run(ctx) {
      const slot = await holdSlot(ctx);
      const order = minimalOrder(slot.id, { contact_less: { comment: 'Ring twice' } });
      const withUnknown = { ...order, gift_wrap: true, recipient: { ...order.recipient, nickname: 'Lu' } };
      const response = ctx.expectStatus(await ctx.call('createJob', { body: uncheckedBody(withUnknown) }), 201);
      const warnings = Array.isArray(response.json.warnings)
        ? response.json.warnings.map((w) => `${w.code} ${w.param}`)
        : [];
      for (const expected of [
        'UNKNOWN_FIELD gift_wrap',
        'UNKNOWN_FIELD recipient.nickname',
        'COMPATIBILITY contact_less.comment',
      ]) {
        ctx.expect(warnings.includes(expected), `warnings must name ${expected.split(' ')[1]}`, {
          expected,
          received: warnings,
          response,
        });
      }
      const job = await getJob(ctx, response.json.job_id);
      ctx.expect(!('gift_wrap' in job) && !('nickname' in (job.recipient ?? {})), 'the job keeps known fields only', {
        expected: 'no gift_wrap, no recipient.nickname',
        received: job,
      });
    },
  },
  {
    id: 'JOB-NOT-FOUND-404',
    title:
      'An unknown job id is 404 JOB_NOT_FOUND on every job operation; with an invalid body it is 422 first (the request is judged before the job is looked up)',
    category: 'jobs',
    level: 'contract',
    operations: ['getJob', 'cancelJob', 'updateDeliveryCode', 'getAvailability', 'rescheduleJob'],
    statuses: {
      getJob: [404],
      cancelJob: [404],
      updateDeliveryCode: [404, 422],
      getAvailability: [200],
      rescheduleJob: [404],
    },
    negative: true,
    async run(ctx) {
      const pathParams = { job_id: `conform-${randomToken()}` };
      ctx.softStatus(await ctx.call('getJob', { pathParams }), 404, 'JOB_NOT_FOUND', 'GET');
      ctx.softStatus(
        await ctx.call('cancelJob', { pathParams, body: example('CancelJobRequest') }),
        404,
        'JOB_NOT_FOUND',
        'cancel',
      );
      ctx.softStatus(
        await ctx.call('updateDeliveryCode', { pathParams, body: { delivery_code: '1234' } }),
        404,
        'JOB_NOT_FOUND',
        'update-delivery-code',
      );
      const slot = await holdSlot(ctx);
      ctx.softStatus(
        await ctx.call('rescheduleJob', { pathParams, body: { slot_id: slot.id, reason: 'conformance' } }),
        404,
        undefined,
        'reschedule',
      );
      ctx.softStatus(
        await ctx.call('updateDeliveryCode', { pathParams, body: uncheckedBody({ delivery_code: '12' }) }),
        422,
        'VALIDATION_FAILED',
        'update-delivery-code of an unknown job with an invalid code',
      );
    },
  },
  {
    id: 'JOB-CANCEL',
    title:
      'Cancelling gives 200 CANCELLED with the reason as cancellation_reason; a JSON null body is no body (CANCELLED, no reason); cancelling again is 409 ILLEGAL_TRANSITION',
    category: 'jobs',
    level: 'contract',
    operations: ['getAvailability', 'createJob', 'cancelJob', 'getJob'],
    statuses: { getAvailability: [200], createJob: [201], cancelJob: [200, 409], getJob: [200] },
    negative: true,
    async run(ctx) {
      const { jobId } = await newJob(ctx);
      const reason = `conformance ${randomToken(4)}`;
      const response = ctx.expectStatus(
        await ctx.call('cancelJob', { pathParams: { job_id: jobId }, body: { reason } }),
        200,
      );
      ctx.expectEqual(
        'the cancelled job',
        { state: 'CANCELLED', cancellation_reason: reason },
        { state: response.json.state, cancellation_reason: response.json.cancellation_reason },
        response,
      );
      const job = await getJob(ctx, jobId);
      ctx.expectEqual('GET shows the job cancelled', 'CANCELLED', job.state);
      ctx.expectEqual('history ends with CANCELLED', 'CANCELLED', job.history?.[job.history.length - 1]?.type);
      ctx.expectStatus(await ctx.call('cancelJob', { pathParams: { job_id: jobId } }), 409, 'ILLEGAL_TRANSITION');
      const other = await newJob(ctx);
      const withNull = ctx.expectStatus(
        await ctx.call('cancelJob', { pathParams: { job_id: other.jobId }, body: null }),
        200,
      );
      ctx.expectEqual(
        'a job cancelled with a JSON null body',
        { state: 'CANCELLED', cancellation_reason: undefined },
        { state: withNull.json.state, cancellation_reason: withNull.json.cancellation_reason },
        withNull,
      );
    },
  },
  {
    id: 'JOB-PAYMENT-AND-EXTERNAL-DATA',
    title:
      'payment_info and external_data are replaced whole and read back as sent; payment_info of a final job is 409 ILLEGAL_TRANSITION',
    category: 'jobs',
    level: 'contract',
    operations: ['getAvailability', 'createJob', 'updatePaymentInfo', 'replaceExternalData', 'getJob', 'cancelJob'],
    statuses: {
      getAvailability: [200],
      createJob: [201],
      updatePaymentInfo: [200, 409],
      replaceExternalData: [200],
      getJob: [200],
      cancelJob: [200],
    },
    negative: true,
    async run(ctx) {
      const { jobId } = await newJob(ctx);
      const pathParams = { job_id: jobId };
      const paymentInfo = example('PaymentInfo');
      ctx.expectStatus(await ctx.call('updatePaymentInfo', { pathParams, body: paymentInfo }), 200);
      const externalData = { backoffice: { ticket: `BO-${randomToken(4)}` } };
      ctx.expectStatus(await ctx.call('replaceExternalData', { pathParams, body: externalData }), 200);
      const job = await getJob(ctx, jobId);
      ctx.expectEqual(
        'GET returns the new payment_info',
        [],
        missingOrDifferent(paymentInfo, job.payment_info, '#/components/schemas/PaymentInfo'),
      );
      ctx.expectEqual('external_data is replaced whole', externalData, job.external_data);
      ctx.expectStatus(await ctx.call('cancelJob', { pathParams, body: { reason: 'conformance' } }), 200);
      ctx.expectStatus(
        await ctx.call('updatePaymentInfo', { pathParams, body: paymentInfo }),
        409,
        'ILLEGAL_TRANSITION',
      );
    },
  },
  {
    id: 'JOB-RESCHEDULE',
    title: 'Rescheduling moves the job to a new held slot and uses it; a used slot is 409, an unknown one 404',
    category: 'jobs',
    level: 'contract',
    operations: ['getAvailability', 'createJob', 'rescheduleJob', 'checkSlot'],
    statuses: { getAvailability: [200], createJob: [201], rescheduleJob: [200, 404, 409], checkSlot: [200] },
    negative: true,
    async run(ctx) {
      const [first, second] = await holdSlots(ctx);
      ctx.expect(second, 'availability for four hours returned a single slot; the check needs two', {
        expected: '2 or more slots',
        received: 1,
      });
      const jobId = await createJob(ctx, minimalOrder(first.id));
      const response = ctx.expectStatus(
        await ctx.call('rescheduleJob', {
          pathParams: { job_id: jobId },
          body: { slot_id: second.id, reason: 'Recipient not home' },
        }),
        200,
      );
      ctx.expectEqual('the job is on the new slot', second.id, response.json.slot?.id, response);
      const check = ctx.expectStatus(await ctx.call('checkSlot', { pathParams: { slot_id: second.id } }), 200);
      ctx.expectEqual(
        'the new slot is used',
        { valid: false, status: 'USED' },
        { valid: check.json.valid, status: check.json.status },
        check,
      );
      const other = await createJob(ctx, minimalOrder((await holdSlot(ctx)).id));
      ctx.expectStatus(
        await ctx.call('rescheduleJob', {
          pathParams: { job_id: other },
          body: { slot_id: second.id, reason: 'again' },
        }),
        409,
        'SLOT_ALREADY_USED',
      );
      ctx.expectStatus(
        await ctx.call('rescheduleJob', {
          pathParams: { job_id: other },
          body: { slot_id: `conform-${randomToken()}`, reason: 'unknown' },
        }),
        404,
        'SLOT_NOT_FOUND',
      );
    },
  },
];
