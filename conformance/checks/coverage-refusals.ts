/**
 * Refusals no other check provokes, so that the catalogue itself exercises the documented
 * (operation, status) pairs a client can provoke (what it does not exercise is generated into
 * conformance/CHECKS.md, "Coverage of the spec"): invalid bodies and unknown ids on
 * the update operations, an expired slot on reschedule, the sandbox's own refusals, and a
 * reset that answers 200.
 */
import { getOperation, type Schemas } from '../../spec/contract';
import { uncheckedBody, type CallOptions, type OperationId, type RawResponse } from '../../client/api';
import type { CheckContext } from './context';
import { advanceClockTo, example, holdSlots, newJob } from './flows';
import type { Check } from './context';

const UNKNOWN_JOB = 'job-that-does-not-exist';

async function refused<O extends OperationId>(
  ctx: CheckContext,
  what: string,
  operationId: O,
  options: CallOptions<O>,
  status: number,
  code: Schemas['ErrorCode'],
): Promise<void> {
  const response: RawResponse = await ctx.call(operationId, options);
  ctx.softStatus(response, status, code, what);
}

export const coverageRefusalChecks: Check[] = [
  {
    id: 'JOB-UPDATE-REFUSALS',
    title:
      'Cancel, reschedule, payment-info and external-data updates refuse invalid bodies (422) and unknown jobs (404)',
    category: 'jobs',
    level: 'contract',
    negative: true,
    operations: [
      'getAvailability',
      'createJob',
      'cancelJob',
      'rescheduleJob',
      'updatePaymentInfo',
      'replaceExternalData',
    ],
    statuses: {
      getAvailability: [200],
      createJob: [201],
      cancelJob: [422],
      rescheduleJob: [422],
      updatePaymentInfo: [404, 422],
      replaceExternalData: [404, 422],
    },
    async run(ctx) {
      const { jobId } = await newJob(ctx);
      const job = { job_id: jobId };
      await refused(
        ctx,
        'a cancel reason that is not text',
        'cancelJob',
        { pathParams: job, body: uncheckedBody({ reason: 42 }) },
        422,
        'VALIDATION_FAILED',
      );
      await refused(
        ctx,
        'a reschedule without a reason',
        'rescheduleJob',
        { pathParams: job, body: uncheckedBody({ slot_id: 'slt_x' }) },
        422,
        'VALIDATION_FAILED',
      );
      const paymentInfo = example('PaymentInfo');
      await refused(
        ctx,
        'an order_value that is not a number',
        'updatePaymentInfo',
        {
          pathParams: job,
          body: uncheckedBody({ ...paymentInfo, prices: { ...paymentInfo.prices, order_value: 'a lot' } }),
        },
        422,
        'VALIDATION_FAILED',
      );
      await refused(
        ctx,
        'payment info of an unknown job',
        'updatePaymentInfo',
        { pathParams: { job_id: UNKNOWN_JOB }, body: paymentInfo },
        404,
        'JOB_NOT_FOUND',
      );
      await refused(
        ctx,
        'external data that is not a map of strings',
        'replaceExternalData',
        { pathParams: job, body: uncheckedBody({ webhook: { n: 1 } }) },
        422,
        'VALIDATION_FAILED',
      );
      await refused(
        ctx,
        'external data of an unknown job',
        'replaceExternalData',
        { pathParams: { job_id: UNKNOWN_JOB }, body: example('ExternalData') },
        404,
        'JOB_NOT_FOUND',
      );
    },
  },
  {
    id: 'SANDBOX-REFUSALS',
    title:
      'Reschedule onto an expired slot is 417; recipient instructions, endpoints, delivery and job listings refuse what the spec refuses; reset answers 200',
    category: 'sandbox',
    level: 'sandbox',
    negative: true,
    operations: [
      'getAvailability',
      'createJob',
      'getClock',
      'advanceClock',
      'rescheduleJob',
      'cancelJob',
      'getJob',
      'updateRecipientInstructions',
      'createWebhookEndpoint',
      'deleteWebhookEndpoint',
      'listWebhookDeliveries',
      'listJobs',
      'resetTenant',
    ],
    statuses: {
      getAvailability: [200],
      createJob: [201],
      getClock: [200],
      advanceClock: [200],
      rescheduleJob: [417],
      cancelJob: [200],
      getJob: [404],
      updateRecipientInstructions: [404, 409, 422],
      createWebhookEndpoint: [422],
      deleteWebhookEndpoint: [404],
      listWebhookDeliveries: [422],
      listJobs: [200, 422],
      resetTenant: [200],
    },
    async run(ctx) {
      const { jobId } = await newJob(ctx);
      const job = { job_id: jobId };
      const [, later] = await holdSlots(ctx);
      await advanceClockTo(ctx, later.expires_at, 5);
      await refused(
        ctx,
        'a reschedule onto an expired slot',
        'rescheduleJob',
        { pathParams: job, body: { slot_id: later.id, reason: 'later' } },
        417,
        'SLOT_EXPIRED',
      );
      await refused(
        ctx,
        'empty recipient instructions',
        'updateRecipientInstructions',
        { pathParams: job, body: uncheckedBody({}) },
        422,
        'VALIDATION_FAILED',
      );
      await refused(
        ctx,
        'recipient instructions for an unknown job',
        'updateRecipientInstructions',
        { pathParams: { job_id: UNKNOWN_JOB }, body: example('RecipientInstructionsRequest') },
        404,
        'JOB_NOT_FOUND',
      );
      const listed = await ctx.call('listJobs', { query: { state: 'CREATED' } });
      if (ctx.softStatus(listed, 200)) {
        ctx.expect(
          Array.isArray(listed.json) && listed.json.some((j) => j.id === jobId),
          'the job just created is listed under state=CREATED',
          { expected: jobId, received: listed.json, response: listed },
        );
      }
      await refused(ctx, 'a job listing with limit=0', 'listJobs', { query: { limit: 0 } }, 422, 'VALIDATION_FAILED');
      ctx.expectStatus(await ctx.call('cancelJob', { pathParams: job, body: { reason: 'done' } }), 200);
      await refused(
        ctx,
        'recipient instructions for a cancelled job',
        'updateRecipientInstructions',
        { pathParams: job, body: example('RecipientInstructionsRequest') },
        409,
        'ILLEGAL_TRANSITION',
      );
      // The state is judged before what the body would change: unknown fields only, still 409.
      await refused(
        ctx,
        'recipient instructions with only unknown fields for a cancelled job',
        'updateRecipientInstructions',
        { pathParams: job, body: uncheckedBody({ conform_unknown: true }) },
        409,
        'ILLEGAL_TRANSITION',
      );
      await refused(
        ctx,
        'an endpoint with an ftp: URL',
        'createWebhookEndpoint',
        { body: { url: 'ftp://127.0.0.1/hooks' } },
        422,
        'VALIDATION_FAILED',
      );
      await refused(
        ctx,
        'deleting an unknown endpoint',
        'deleteWebhookEndpoint',
        { pathParams: { endpoint_id: 'whe_unknown' } },
        404,
        'WEBHOOK_ENDPOINT_NOT_FOUND',
      );
      // A query the types refuse: sent untyped.
      ctx.softStatus(
        await ctx.send(getOperation('listWebhookDeliveries'), { query: { status: 'UNKNOWN' } }),
        422,
        'VALIDATION_FAILED',
        'a delivery listing with an unknown status',
      );
      ctx.expectStatus(await ctx.call('resetTenant'), 200);
      const after = await ctx.call('getJob', { pathParams: job });
      ctx.expectStatus(after, 404, 'JOB_NOT_FOUND');
    },
  },
];
