import { getOperation, isSchema, type Schemas } from '../../spec/contract';
import { deriveMutations } from '../../spec/mutations';
import { errorParams, uncheckedBody } from '../../client/api';
import type { CheckContext } from './context';
import { advanceJob, getJob, LIFECYCLE, newJob } from './flows';
import type { Check } from './context';

function otherCode(code: string): string {
  return String((Number.parseInt(code, 10) + 1) % 10000).padStart(4, '0');
}

async function jobWithCode(ctx: CheckContext): Promise<{ jobId: string; code: string; job: Schemas['Job'] }> {
  const { jobId } = await newJob(ctx, { deliveryCode: true });
  const job = await getJob(ctx, jobId);
  ctx.expect(
    isSchema('UpdateDeliveryCodeRequest', { delivery_code: job.delivery_code }),
    'a job created with add_delivery_code has a 4-digit delivery_code',
    {
      expected: 'delivery_code of 4 digits',
      received: job.delivery_code,
    },
  );
  return { jobId, code: job.delivery_code ?? '', job };
}

export const deliveryCodeChecks: Check[] = [
  {
    id: 'DELIVERY-CODE-PRESENT',
    title: 'add_delivery_code: true gives the job a 4-digit delivery_code; false or absent gives none',
    category: 'delivery-code',
    level: 'contract',
    operations: ['getAvailability', 'createJob', 'getJob'],
    statuses: { getAvailability: [200], createJob: [201], getJob: [200] },
    async run(ctx) {
      await jobWithCode(ctx);
      for (const deliveryCode of [false, undefined]) {
        const { jobId } = await newJob(ctx, { deliveryCode });
        const job = await getJob(ctx, jobId);
        ctx.expect(
          !('delivery_code' in job) && job.add_delivery_code === false,
          `a job created with add_delivery_code ${deliveryCode === undefined ? 'absent' : 'false'} has no code`,
          {
            expected: { add_delivery_code: false, delivery_code: '(absent)' },
            received: { add_delivery_code: job.add_delivery_code, delivery_code: job.delivery_code },
          },
        );
      }
    },
  },
  {
    id: 'DELIVERY-CODE-UPDATE',
    title:
      'A code is replaced by a new 4-digit one; anything else is 422 naming delivery_code; a job without a code is 409 DELIVERY_CODE_NOT_ENABLED',
    category: 'delivery-code',
    level: 'contract',
    operations: ['getAvailability', 'createJob', 'getJob', 'updateDeliveryCode'],
    statuses: { getAvailability: [200], createJob: [201], getJob: [200], updateDeliveryCode: [200, 409, 422] },
    negative: true,
    async run(ctx) {
      const { jobId, code } = await jobWithCode(ctx);
      const next = otherCode(code);
      const pathParams = { job_id: jobId };
      const updated = ctx.expectStatus(
        await ctx.call('updateDeliveryCode', { pathParams, body: { delivery_code: next } }),
        200,
      );
      ctx.expectEqual('the answer carries the new code', next, updated.json.delivery_code, updated);
      ctx.expectEqual('GET shows the new code', next, (await getJob(ctx, jobId)).delivery_code);
      const pointer = getOperation('updateDeliveryCode').requestBody!.pointer;
      const bodies: unknown[] = [
        ...deriveMutations(pointer, { delivery_code: '1234' }).map((m) => m.body),
        { delivery_code: '123' },
        { delivery_code: '12345' },
        { delivery_code: '12a4' },
      ];
      for (const body of bodies) {
        const response = await ctx.call('updateDeliveryCode', { pathParams, body: uncheckedBody(body) });
        if (!ctx.softStatus(response, 422, 'VALIDATION_FAILED', `delivery code ${JSON.stringify(body)}`)) continue;
        const params = errorParams(response.json);
        if (!params.includes('delivery_code'))
          ctx.fail(`${JSON.stringify(body)}: errors[] must name delivery_code`, {
            expected: 'delivery_code',
            received: params,
            exchange: response.exchange,
          });
      }
      ctx.expectEqual('refused updates leave the code alone', next, (await getJob(ctx, jobId)).delivery_code);
      const { jobId: plain } = await newJob(ctx, { deliveryCode: false });
      ctx.expectStatus(
        await ctx.call('updateDeliveryCode', { pathParams: { job_id: plain }, body: { delivery_code: '1234' } }),
        409,
        'DELIVERY_CODE_NOT_ENABLED',
      );
    },
  },
  {
    id: 'DELIVERY-CODE-FROZEN-409',
    title:
      'The code can change up to ARRIVED_TO_DESTINATION; from DELIVERING_STARTED on it is 409 DELIVERY_CODE_FROZEN',
    category: 'delivery-code',
    level: 'sandbox',
    operations: ['getAvailability', 'createJob', 'getJob', 'advanceJob', 'updateDeliveryCode'],
    statuses: {
      getAvailability: [200],
      createJob: [201],
      getJob: [200],
      advanceJob: [200],
      updateDeliveryCode: [200, 409],
    },
    negative: true,
    async run(ctx) {
      const { jobId, code } = await jobWithCode(ctx);
      await advanceJob(ctx, jobId, { to: 'ARRIVED_TO_DESTINATION' });
      ctx.expectStatus(
        await ctx.call('updateDeliveryCode', {
          pathParams: { job_id: jobId },
          body: { delivery_code: otherCode(code) },
        }),
        200,
      );
      await advanceJob(ctx, jobId, { to: 'DELIVERING_STARTED' });
      ctx.expectStatus(
        await ctx.call('updateDeliveryCode', { pathParams: { job_id: jobId }, body: { delivery_code: code } }),
        409,
        'DELIVERY_CODE_FROZEN',
      );
    },
  },
  {
    id: 'DELIVERY-CODE-COMPLETION',
    title:
      'The step to CLIENT_RECEIVED needs the code: none, or one that is not 4 digits, is 422 VALIDATION_FAILED naming delivery_code at no cost; the right one completes',
    category: 'delivery-code',
    level: 'sandbox',
    operations: ['getAvailability', 'createJob', 'getJob', 'advanceJob'],
    statuses: { getAvailability: [200], createJob: [201], getJob: [200], advanceJob: [200, 422] },
    negative: true,
    async run(ctx) {
      const { jobId, code, job } = await jobWithCode(ctx);
      await advanceJob(ctx, jobId, { to: 'DELIVERING_STARTED' });
      const missing = ctx.expectStatus(
        await ctx.call('advanceJob', { pathParams: { job_id: jobId } }),
        422,
        'VALIDATION_FAILED',
      );
      const params = errorParams(missing.json);
      ctx.expect(params.includes('delivery_code'), 'errors[] names delivery_code', {
        expected: 'delivery_code',
        received: params,
        response: missing,
      });
      for (const malformed of ['', '12a', '12345']) {
        const refused = await ctx.call('advanceJob', {
          pathParams: { job_id: jobId },
          body: uncheckedBody({ delivery_code: malformed }),
        });
        if (!ctx.softStatus(refused, 422, 'VALIDATION_FAILED', `delivery_code ${JSON.stringify(malformed)}`)) continue;
        const named = errorParams(refused.json);
        if (!named.includes('delivery_code'))
          ctx.fail(`delivery_code ${JSON.stringify(malformed)}: errors[] must name delivery_code`, {
            expected: 'delivery_code',
            received: named,
            exchange: refused.exchange,
          });
      }
      const after = await getJob(ctx, jobId);
      ctx.expectEqual(
        'a missing or malformed code moves nothing and costs no attempt',
        { state: 'DELIVERING_STARTED', attempts: job.delivery_code_attempts_remaining },
        { state: after.state, attempts: after.delivery_code_attempts_remaining },
      );
      const done = await advanceJob(ctx, jobId, { delivery_code: code });
      ctx.expectEqual('the right code completes the job', 'CLIENT_RECEIVED', done.state);
      ctx.expectEqual(
        'history is the whole lifecycle',
        LIFECYCLE,
        (done.history ?? []).map((h) => h.type),
      );
    },
  },
  {
    id: 'DELIVERY-CODE-LOCKED-423',
    title:
      'Each wrong code is 422 INVALID_DELIVERY_CODE counting attempts_remaining down to 0 and moving nothing; then 423 DELIVERY_CODE_LOCKED, with the right code, a wrong one or none, until the code is updated',
    category: 'delivery-code',
    level: 'sandbox',
    operations: ['getAvailability', 'createJob', 'getJob', 'advanceJob', 'updateDeliveryCode'],
    statuses: {
      getAvailability: [200],
      createJob: [201],
      getJob: [200],
      advanceJob: [200, 422, 423],
      updateDeliveryCode: [200],
    },
    negative: true,
    async run(ctx) {
      const { jobId, code } = await jobWithCode(ctx);
      const wrong = otherCode(code);
      const pathParams = { job_id: jobId };
      // Wrong tries on the whole way to CLIENT_RECEIVED: a move is all or nothing, and the
      // code can still be updated (it freezes at DELIVERING_STARTED).
      const first = ctx.expectStatus(
        await ctx.call('advanceJob', { pathParams, body: { to: 'CLIENT_RECEIVED', delivery_code: wrong } }),
        422,
        'INVALID_DELIVERY_CODE',
      );
      const limit = (first.json.attempts_remaining ?? Number.NaN) + 1;
      ctx.expect(
        Number.isInteger(limit) && limit >= 1 && limit <= 100,
        'INVALID_DELIVERY_CODE carries attempts_remaining',
        {
          expected: 'an integer',
          received: first.json.attempts_remaining,
          response: first,
        },
      );
      ctx.expectEqual('a wrong code moves nothing', 'CREATED', (await getJob(ctx, jobId)).state);
      for (let remaining = limit - 2; remaining >= 0; remaining--) {
        const response = ctx.expectStatus(
          await ctx.call('advanceJob', { pathParams, body: { to: 'CLIENT_RECEIVED', delivery_code: wrong } }),
          422,
          'INVALID_DELIVERY_CODE',
        );
        ctx.expectEqual('attempts_remaining counts down', remaining, response.json.attempts_remaining, response);
      }
      ctx.expectStatus(
        await ctx.call('advanceJob', { pathParams, body: { to: 'CLIENT_RECEIVED', delivery_code: code } }),
        423,
        'DELIVERY_CODE_LOCKED',
      );
      ctx.expectStatus(
        await ctx.call('advanceJob', { pathParams, body: { to: 'CLIENT_RECEIVED', delivery_code: wrong } }),
        423,
        'DELIVERY_CODE_LOCKED',
      );
      // No code at all is 423 too: the lock is judged before a missing code (its 422).
      ctx.expectStatus(
        await ctx.call('advanceJob', { pathParams, body: { to: 'CLIENT_RECEIVED' } }),
        423,
        'DELIVERY_CODE_LOCKED',
      );
      ctx.expectEqual('a locked job has not moved', 'CREATED', (await getJob(ctx, jobId)).state);
      const updated = ctx.expectStatus(
        await ctx.call('updateDeliveryCode', { pathParams, body: { delivery_code: wrong } }),
        200,
      );
      ctx.expectEqual(
        'updating the code resets the attempts',
        limit,
        updated.json.delivery_code_attempts_remaining ?? limit,
        updated,
      );
      const done = await advanceJob(ctx, jobId, { to: 'CLIENT_RECEIVED', delivery_code: wrong });
      ctx.expectEqual('the new code completes the job', 'CLIENT_RECEIVED', done.state);
    },
  },
  {
    id: 'DELIVERY-CODE-UNLOCK-AT-DOOR',
    title:
      'A job locked at DELIVERING_STARTED is unlocked by the one code update allowed there (a second is 409 DELIVERY_CODE_FROZEN), and the new code completes it',
    category: 'delivery-code',
    level: 'sandbox',
    operations: ['getAvailability', 'createJob', 'getJob', 'advanceJob', 'updateDeliveryCode'],
    statuses: {
      getAvailability: [200],
      createJob: [201],
      getJob: [200],
      advanceJob: [200, 422, 423],
      updateDeliveryCode: [200, 409],
    },
    negative: true,
    async run(ctx) {
      const { jobId, code } = await jobWithCode(ctx);
      const wrong = otherCode(code);
      const pathParams = { job_id: jobId };
      await advanceJob(ctx, jobId, { to: 'DELIVERING_STARTED' });
      const first = ctx.expectStatus(
        await ctx.call('advanceJob', { pathParams, body: { delivery_code: wrong } }),
        422,
        'INVALID_DELIVERY_CODE',
      );
      const left = first.json.attempts_remaining ?? Number.NaN;
      ctx.expect(
        Number.isInteger(left) && left >= 0 && left < 100,
        'INVALID_DELIVERY_CODE carries attempts_remaining',
        { expected: 'an integer', received: left, response: first },
      );
      for (let remaining = left - 1; remaining >= 0; remaining--) {
        ctx.expectStatus(
          await ctx.call('advanceJob', { pathParams, body: { delivery_code: wrong } }),
          422,
          'INVALID_DELIVERY_CODE',
        );
      }
      ctx.expectStatus(
        await ctx.call('advanceJob', { pathParams, body: { delivery_code: code } }),
        423,
        'DELIVERY_CODE_LOCKED',
      );
      ctx.expectStatus(await ctx.call('updateDeliveryCode', { pathParams, body: { delivery_code: wrong } }), 200);
      ctx.expectStatus(
        await ctx.call('updateDeliveryCode', { pathParams, body: { delivery_code: code } }),
        409,
        'DELIVERY_CODE_FROZEN',
      );
      const done = await advanceJob(ctx, jobId, { delivery_code: wrong });
      ctx.expectEqual('the code set at the door completes the job', 'CLIENT_RECEIVED', done.state);
    },
  },
];
