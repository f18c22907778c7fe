import { getOperation, type Operation, type Schemas } from '../../spec/contract';
import { deriveMutations, type BodyMutation } from '../../spec/mutations';
import { errorParams, uncheckedBody, type OperationId } from '../../client/api';
import type { CheckContext } from './context';
import { availabilityRequest, fullOrder, holdSlot, newJob, shifted } from './flows';
import type { Check, DeclaredStatuses, Level } from './context';
import { bodyOperations, exampleBody, mapLimit } from './util';

const PARALLEL_CALLS = 8;
const MALFORMED_JSON = '{"slot_id": "slt_1", "recipient": {"name": "Ana"';

/** Each mutation must be refused with a 422 naming the broken field. */
async function expectEachRefused(
  ctx: CheckContext,
  operationId: OperationId,
  mutations: BodyMutation[],
): Promise<void> {
  ctx.expect(mutations.length > 0, `no mutation could be derived for ${operationId}`, {
    expected: 'at least one',
    received: 0,
  });
  await mapLimit(mutations, PARALLEL_CALLS, async (mutation) => {
    const response = await ctx.send(getOperation(operationId), { body: uncheckedBody(mutation.body) });
    if (!ctx.softStatus(response, 422, 'VALIDATION_FAILED', `${mutation.kind}: ${mutation.description}`)) return;
    const params = errorParams(response.json);
    if (!params.includes(mutation.param)) {
      ctx.fail(`${mutation.kind}: ${mutation.description}: no errors[] item names the field`, {
        expected: { errors: [{ param: mutation.param }] },
        received: { params },
        exchange: response.exchange,
      });
    }
  });
}

/** Real ids for the path parameters, so that only the body can be what is refused. */
async function pathParamsFor(ctx: CheckContext): Promise<Record<string, string>> {
  const { jobId } = await newJob(ctx);
  const slot = await holdSlot(ctx);
  return {
    job_id: jobId,
    slot_id: slot.id,
    endpoint_id: 'conform-placeholder-id',
    delivery_id: 'conform-placeholder-id',
  };
}

/** One refused body per operation that takes one, at the given level. */
function refusedBody(
  level: Level,
  refusal: {
    id: string;
    what: string;
    status: number;
    code: Schemas['ErrorCode'];
    contentType: string;
    body: (op: Operation) => string;
  },
): Check {
  const suffix = level === 'sandbox' ? '-SANDBOX' : '';
  return {
    id: `VALIDATION-${refusal.id}${suffix}-${refusal.status}`,
    title: `${refusal.what} is ${refusal.status} ${refusal.code} on every ${level === 'sandbox' ? 'sandbox' : 'production'} operation that takes a body`,
    category: 'validation',
    level,
    // pathParamsFor creates a job on a held slot before the sweep.
    operations: [
      ...new Set<OperationId>(['getAvailability', 'createJob', ...bodyOperations(level).map((op) => op.operationId)]),
    ],
    // The job the sweep needs is made first (200, 201); then every body operation answers the refusal.
    statuses: Object.fromEntries([
      ['getAvailability', [200]],
      ['createJob', [201]],
      ...bodyOperations(level).map((op) => [
        op.operationId,
        op.operationId === 'getAvailability' || op.operationId === 'createJob'
          ? [op.operationId === 'createJob' ? 201 : 200, refusal.status]
          : [refusal.status],
      ]),
    ]) as DeclaredStatuses,
    negative: true,
    async run(ctx) {
      const pathParams = await pathParamsFor(ctx);
      for (const op of bodyOperations(level)) {
        const response = await ctx.send(op, {
          pathParams,
          rawBody: refusal.body(op),
          contentType: refusal.contentType,
        });
        ctx.softStatus(response, refusal.status, refusal.code, `${op.method} ${op.path}`);
      }
    },
  };
}

function malformedJson(level: Level): Check {
  return refusedBody(level, {
    id: 'MALFORMED-JSON',
    what: 'A body that is not well-formed JSON',
    status: 400,
    code: 'MALFORMED_JSON',
    contentType: 'application/json',
    body: () => MALFORMED_JSON,
  });
}

function wrongMediaType(level: Level): Check {
  return refusedBody(level, {
    id: 'CONTENT-TYPE',
    what: 'A body sent as text/plain',
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    contentType: 'text/plain',
    body: (op) => JSON.stringify(exampleBody(op) ?? {}),
  });
}

export const validationChecks: Check[] = [
  {
    id: 'VALIDATION-CREATE-JOB-422',
    title:
      'Every schema-derived invalid create-job body (missing field at any depth, wrong type, outside enum, broken format or pattern) is 422 naming the field',
    category: 'validation',
    level: 'contract',
    operations: ['getAvailability', 'createJob'],
    statuses: { getAvailability: [200], createJob: [201, 422] },
    negative: true,
    async run(ctx) {
      const slot = await holdSlot(ctx);
      const sample = fullOrder(slot.id);
      await expectEachRefused(
        ctx,
        'createJob',
        deriveMutations(getOperation('createJob').requestBody!.pointer, sample),
      );
      // A refused body must consume nothing: the slot still takes the valid order.
      ctx.expectStatus(await ctx.call('createJob', { body: sample }), 201);
    },
  },
  {
    id: 'VALIDATION-AVAILABILITY-422',
    title: 'Every schema-derived invalid availability body is 422 naming the field',
    category: 'validation',
    level: 'contract',
    operations: ['getAvailability'],
    statuses: { getAvailability: [422] },
    negative: true,
    async run(ctx) {
      await expectEachRefused(
        ctx,
        'getAvailability',
        deriveMutations(getOperation('getAvailability').requestBody!.pointer, availabilityRequest()),
      );
    },
  },
  {
    id: 'VALIDATION-AVAILABILITY-WINDOW-422',
    title: 'An availability window that ends before it starts, or spans more than 7 days, is 422',
    category: 'validation',
    level: 'contract',
    operations: ['getAvailability'],
    statuses: { getAvailability: [422] },
    negative: true,
    async run(ctx) {
      const valid = availabilityRequest();
      const backwards = await ctx.call('getAvailability', { body: { ...valid, start: valid.end, end: valid.start } });
      ctx.softStatus(backwards, 422, 'VALIDATION_FAILED', 'end before start');
      const tooLong = await ctx.call('getAvailability', {
        body: { ...valid, end: shifted(valid.start, 8 * 24 * 3600_000) },
      });
      ctx.softStatus(tooLong, 422, 'VALIDATION_FAILED', 'an eight-day window');
    },
  },
  malformedJson('contract'),
  wrongMediaType('contract'),
  malformedJson('sandbox'),
  wrongMediaType('sandbox'),
];
