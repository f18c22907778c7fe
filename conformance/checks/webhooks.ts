/* eslint-disable @typescript-eslint/restrict-template-expressions, @typescript-eslint/no-base-to-string --
   the deliveries are the implementation's JSON, unknown in type, shown as they came */
import { validateWebhookPayload, type Schemas } from '../../spec/contract';
import { uncheckedBody } from '../../client/api';
import type { CheckContext } from './context';
import { advanceClock, advanceJob, availabilityRequest, example, getJob, LIFECYCLE, newJob, tenantNow } from './flows';
import type { ContractClient } from '../../client/http';
import type { Inbox, ReceivedDelivery } from '../receiver/receiver';
import type { Check } from './context';

const RETRY_FAILURES = 2;
/** Production allows 3 endpoints per tenant. */
const ENDPOINT_LIMIT = 3;
/** Attempts after which a delivery that still fails must have been dead-lettered. */
const MAX_ATTEMPTS_BEFORE_DEAD_LETTER = 20;

type LogEntry = Schemas['WebhookDelivery'];

export async function registerInbox(
  ctx: CheckContext,
  inbox: Inbox,
  client: ContractClient = ctx.client,
): Promise<void> {
  const response = ctx.expectStatus(
    await client.call('createWebhookEndpoint', { body: { url: inbox.url, secret: inbox.secret } }),
    201,
  );
  ctx.expectEqual('the endpoint keeps the secret it was given', inbox.secret, response.json.secret, response);
}

export function forJob(deliveries: ReceivedDelivery[], jobId: string): ReceivedDelivery[] {
  return deliveries.filter((d) => d.json?.job?.id === jobId);
}

export async function awaitDeliveries(
  ctx: CheckContext,
  inbox: Inbox,
  jobId: string,
  count: number,
  what: string,
): Promise<ReceivedDelivery[]> {
  const arrived = await inbox.waitFor((ds) => forJob(ds, jobId).length >= count, ctx.timeoutMs, ctx.signal);
  const got = forJob(inbox.deliveries, jobId);
  ctx.expect(arrived, `${what}: ${count} deliveries expected within ${ctx.timeoutMs} ms`, {
    expected: `${count} deliveries`,
    received: got.map((d) => d.json?.type ?? d.body.slice(0, 200)),
  });
  return got;
}

/** Everything a single delivery must satisfy, whatever the event. */
export function deliveryProblems(delivery: ReceivedDelivery): string[] {
  const problems: string[] = [];
  const label = `delivery ${delivery.seq} (${delivery.json?.type ?? 'unparsed'})`;
  if (!/^application\/json\s*(;|$)/i.test(delivery.headers['content-type'] ?? ''))
    problems.push(`${label}: content-type ${delivery.headers['content-type'] ?? 'none'}`);
  const schema = validateWebhookPayload(delivery.json);
  if (!schema.ok)
    problems.push(...schema.errors.map((e) => `${label}: payload${e.param ? `.${e.param}` : ''} ${e.msg}`));
  if (!delivery.standardSignature.ok) problems.push(`${label}: ${delivery.standardSignature.error}`);
  if (!delivery.instaLeapSignature.ok) problems.push(`${label}: ${delivery.instaLeapSignature.error}`);
  if (delivery.json && delivery.headers['webhook-id'] !== delivery.json.id)
    problems.push(`${label}: webhook-id ${delivery.headers['webhook-id']} is not the payload id ${delivery.json.id}`);
  return problems;
}

/** Moves the tenant clock to a pending delivery's next attempt (at least one second). */
async function advanceToNextAttempt(ctx: CheckContext, entry: LogEntry): Promise<void> {
  await advanceClock(ctx, (Date.parse(entry.next_attempt_at ?? '') - (await tenantNow(ctx))) / 1000);
}

async function freezeClock(ctx: CheckContext): Promise<void> {
  ctx.expectStatus(await ctx.call('freezeClock'), 200);
}

/** The last attempt of a log entry, by the attempts' own times (the log lists them oldest first). */
function lastAttempt(entry: LogEntry): Schemas['DeliveryAttempt'] {
  return entry.attempts[entry.attempts.length - 1];
}

/** Polls the delivery log (a state on the server, not a timer) until `ready` or the timeout. */
async function deliveriesWhen(
  ctx: CheckContext,
  jobId: string,
  ready: (log: LogEntry[]) => boolean,
  what: string,
): Promise<LogEntry[]> {
  const deadline = Date.now() + ctx.timeoutMs;
  for (;;) {
    const response = ctx.expectStatus(await ctx.call('listWebhookDeliveries', { query: { job_id: jobId } }), 200);
    if (ready(response.json)) return response.json;
    ctx.expect(Date.now() < deadline, `${what} did not show in the delivery log within ${ctx.timeoutMs} ms`, {
      expected: what,
      received: response.json,
      response,
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export const webhookChecks: Check[] = [
  {
    id: 'WEBHOOK-LIFECYCLE-EVENTS',
    title:
      'A job driven to CLIENT_RECEIVED sends every lifecycle event once, in order, schema-valid, with both signatures valid and the delivery code in the job',
    category: 'webhooks',
    level: 'sandbox',
    operations: [
      'createWebhookEndpoint',
      'getAvailability',
      'createJob',
      'getJob',
      'advanceJob',
      'listWebhookDeliveries',
    ],
    usesReceiver: true,
    async run(ctx) {
      const inbox = ctx.openInbox();
      await registerInbox(ctx, inbox);
      const { jobId } = await newJob(ctx, { deliveryCode: true });
      const { delivery_code: code } = await getJob(ctx, jobId);
      await advanceJob(ctx, jobId, { to: 'CLIENT_RECEIVED', delivery_code: code });
      const deliveries = await awaitDeliveries(ctx, inbox, jobId, LIFECYCLE.length, 'the lifecycle events');
      ctx.expectEqual(
        'event types, in order of arrival',
        LIFECYCLE,
        deliveries.map((d) => d.json?.type),
      );
      ctx.expectEqual(
        'each event arrives once (distinct ids)',
        LIFECYCLE.length,
        new Set(deliveries.map((d) => d.json?.id)).size,
      );
      const problems = deliveries.flatMap(deliveryProblems);
      for (const d of deliveries) {
        if (d.json?.job?.delivery_code !== code)
          problems.push(
            `${d.json?.type}: job.delivery_code is ${JSON.stringify(d.json?.job?.delivery_code)}, expected ${code}`,
          );
        if (d.json?.job?.state !== d.json?.type) problems.push(`${d.json?.type}: job.state is ${d.json?.job?.state}`);
        if (d.json?.client_id === ctx.apiKey) problems.push(`${d.json?.type}: client_id is the API key`);
      }
      ctx.expectEqual('every delivery conforms', [], problems);
      const log = await deliveriesWhen(
        ctx,
        jobId,
        (entries) => entries.length >= LIFECYCLE.length && entries.every((e) => e.status === 'SUCCEEDED'),
        'every delivery SUCCEEDED',
      );
      ctx.expectEqual(
        'the log shows each delivery made in one attempt',
        LIFECYCLE.map(() => 1),
        log.map((e) => e.attempts.length),
      );
    },
  },
  {
    id: 'WEBHOOK-OUT-OF-BAND-EVENTS',
    title:
      'Recipient instructions, reschedule, payment info, external data and cancel send JOB_COMMENT_UPDATED, RESCHEDULED, PAYMENT_UPDATED, PRICES_UPDATED, EXTERNAL_DATA_UPDATED and CANCELLED after CREATED, in order; instructions with only unknown fields send nothing',
    category: 'webhooks',
    level: 'sandbox',
    operations: [
      'createWebhookEndpoint',
      'getAvailability',
      'createJob',
      'updateRecipientInstructions',
      'rescheduleJob',
      'updatePaymentInfo',
      'replaceExternalData',
      'cancelJob',
    ],
    usesReceiver: true,
    async run(ctx) {
      const inbox = ctx.openInbox();
      await registerInbox(ctx, inbox);
      const { jobId } = await newJob(ctx);
      const pathParams = { job_id: jobId };
      ctx.expectStatus(
        await ctx.call('updateRecipientInstructions', { pathParams, body: uncheckedBody({ conform_unknown: true }) }),
        200,
      );
      ctx.expectStatus(
        await ctx.call('updateRecipientInstructions', { pathParams, body: example('RecipientInstructionsRequest') }),
        200,
      );
      const slots = ctx.expectStatus(await ctx.call('getAvailability', { body: availabilityRequest() }), 200);
      ctx.expectStatus(
        await ctx.call('rescheduleJob', { pathParams, body: { slot_id: slots.json[0].id, reason: 'conformance' } }),
        200,
      );
      ctx.expectStatus(await ctx.call('updatePaymentInfo', { pathParams, body: example('PaymentInfo') }), 200);
      ctx.expectStatus(await ctx.call('replaceExternalData', { pathParams, body: example('ExternalData') }), 200);
      ctx.expectStatus(await ctx.call('cancelJob', { pathParams, body: { reason: 'conformance' } }), 200);
      const expected = [
        'CREATED',
        'JOB_COMMENT_UPDATED',
        'RESCHEDULED',
        'PAYMENT_UPDATED',
        'PRICES_UPDATED',
        'EXTERNAL_DATA_UPDATED',
        'CANCELLED',
      ];
      const deliveries = await awaitDeliveries(ctx, inbox, jobId, expected.length, 'the out-of-band events');
      ctx.expectEqual(
        'event types, in order of arrival',
        expected,
        deliveries.map((d) => d.json?.type),
      );
      ctx.expectEqual('every delivery conforms', [], deliveries.flatMap(deliveryProblems));
    },
  },
  {
    id: 'WEBHOOK-RETRY',
    title:
      'A delivery answered 500 is retried when the tenant clock reaches next_attempt_at (later than the failed attempt), with the same id and valid signatures, until it succeeds; attempts are logged oldest first',
    category: 'webhooks',
    level: 'sandbox',
    operations: [
      'freezeClock',
      'createWebhookEndpoint',
      'createJob',
      'listWebhookDeliveries',
      'getClock',
      'advanceClock',
      'getAvailability',
    ],
    usesReceiver: true,
    async run(ctx) {
      const inbox = ctx.openInbox();
      inbox.answerNext(...Array.from({ length: RETRY_FAILURES }, () => 500));
      await freezeClock(ctx);
      await registerInbox(ctx, inbox);
      const { jobId } = await newJob(ctx);
      for (let attempt = 1; attempt <= RETRY_FAILURES; attempt++) {
        await awaitDeliveries(ctx, inbox, jobId, attempt, `attempt ${attempt}`);
        const log = await deliveriesWhen(
          ctx,
          jobId,
          (entries) => entries[0]?.attempts?.length >= attempt && Boolean(entries[0]?.next_attempt_at),
          `attempt ${attempt} failed with a next retry due`,
        );
        const entry = log[0];
        ctx.expectEqual(
          `attempt ${attempt} is logged with the receiver's 500`,
          500,
          entry.attempts[attempt - 1].status_code,
        );
        ctx.expectEqual(`the delivery is PENDING after attempt ${attempt}`, 'PENDING', entry.status);
        // Judged against the failed attempt's own time, not against when the kit read the log.
        ctx.expect(
          Date.parse(entry.next_attempt_at ?? '') > Date.parse(lastAttempt(entry).at),
          'the retry is due later than the failed attempt, not at once',
          {
            expected: `next_attempt_at after ${lastAttempt(entry).at}`,
            received: entry.next_attempt_at,
          },
        );
        await advanceToNextAttempt(ctx, entry);
      }
      const deliveries = await awaitDeliveries(ctx, inbox, jobId, RETRY_FAILURES + 1, 'the successful retry');
      ctx.expectEqual(
        'each attempt carries the same event',
        deliveries.map(() => deliveries[0].json?.id),
        deliveries.map((d) => d.json?.id),
      );
      ctx.expectEqual(
        'each attempt carries the same webhook-id',
        deliveries.map(() => deliveries[0].json?.id),
        deliveries.map((d) => d.headers['webhook-id']),
      );
      ctx.expectEqual('every attempt conforms', [], deliveries.flatMap(deliveryProblems));
      const log = await deliveriesWhen(
        ctx,
        jobId,
        (entries) => entries[0]?.status === 'SUCCEEDED',
        'the delivery SUCCEEDED',
      );
      ctx.expectEqual(
        'the log shows every attempt, oldest first',
        [...Array.from({ length: RETRY_FAILURES }, () => 500), 200],
        log[0].attempts.map((a) => a.status_code),
      );
      const times = log[0].attempts.map((a) => Date.parse(a.at));
      ctx.expect(
        times.every((t: number, i: number) => i === 0 || t > times[i - 1]),
        'attempts are listed oldest first',
        { expected: 'increasing attempt times', received: log[0].attempts.map((a) => a.at) },
      );
      ctx.expectEqual('nothing more is due', null, log[0].next_attempt_at ?? null);
    },
  },
  {
    id: 'WEBHOOK-IN-ORDER-WAITING',
    title:
      'A later event of a job waits behind a retrying one: PENDING, next_attempt_at null, waiting_for the delivery ahead; it is sent right after that one succeeds, in order',
    category: 'webhooks',
    level: 'sandbox',
    operations: [
      'freezeClock',
      'createWebhookEndpoint',
      'createJob',
      'advanceJob',
      'listWebhookDeliveries',
      'getClock',
      'advanceClock',
      'getAvailability',
    ],
    usesReceiver: true,
    async run(ctx) {
      const inbox = ctx.openInbox();
      inbox.answerNext(500);
      await freezeClock(ctx);
      await registerInbox(ctx, inbox);
      const { jobId } = await newJob(ctx);
      await awaitDeliveries(ctx, inbox, jobId, 1, 'the first attempt of CREATED');
      await advanceJob(ctx, jobId);
      const log = await deliveriesWhen(
        ctx,
        jobId,
        (entries) =>
          entries.length >= 2 &&
          entries.some((e) => e.event_type === 'CREATED' && e.attempts?.length >= 1 && Boolean(e.next_attempt_at)),
        'CREATED failed once, PICKING_STARTED logged',
      );
      const head = ctx.expectPresent(
        log.find((e) => e.event_type === 'CREATED'),
        'the log shows CREATED',
      );
      const waiting = log.find((e) => e.event_type === 'PICKING_STARTED');
      ctx.expectEqual(
        'the later delivery waits behind the retrying one',
        { status: 'PENDING', attempts: 0, next_attempt_at: null, waiting_for: head.id },
        {
          status: waiting?.status,
          attempts: waiting?.attempts?.length,
          next_attempt_at: waiting?.next_attempt_at ?? null,
          waiting_for: waiting?.waiting_for,
        },
      );
      ctx.expectEqual(
        'nothing overtakes the retrying delivery',
        ['CREATED'],
        forJob(inbox.deliveries, jobId).map((d) => d.json?.type),
      );
      await advanceToNextAttempt(ctx, head);
      const deliveries = await awaitDeliveries(ctx, inbox, jobId, 3, 'the retry and the waiting event');
      ctx.expectEqual(
        'event types, in order of arrival',
        ['CREATED', 'CREATED', 'PICKING_STARTED'],
        deliveries.map((d) => d.json?.type),
      );
      ctx.expectEqual('every delivery conforms', [], deliveries.flatMap(deliveryProblems));
    },
  },
  {
    id: 'WEBHOOK-DEAD-LETTER',
    title: `A delivery that keeps failing is retried on the tenant clock, then DEAD_LETTERED with nothing more due (within ${MAX_ATTEMPTS_BEFORE_DEAD_LETTER} attempts); a failed manual retry leaves it DEAD_LETTERED`,
    category: 'webhooks',
    level: 'sandbox',
    operations: [
      'freezeClock',
      'createWebhookEndpoint',
      'getAvailability',
      'createJob',
      'listWebhookDeliveries',
      'getClock',
      'advanceClock',
      'retryWebhookDelivery',
    ],
    usesReceiver: true,
    async run(ctx) {
      const inbox = ctx.openInbox();
      inbox.answerNext(...Array.from({ length: MAX_ATTEMPTS_BEFORE_DEAD_LETTER + 2 }, () => 500));
      await freezeClock(ctx);
      await registerInbox(ctx, inbox);
      const { jobId } = await newJob(ctx);
      let entry: LogEntry | undefined;
      for (let attempt = 1; attempt <= MAX_ATTEMPTS_BEFORE_DEAD_LETTER; attempt++) {
        await awaitDeliveries(ctx, inbox, jobId, attempt, `attempt ${attempt}`);
        const log = await deliveriesWhen(
          ctx,
          jobId,
          (entries) =>
            entries[0]?.attempts?.length >= attempt &&
            (Boolean(entries[0].next_attempt_at) || entries[0].status === 'DEAD_LETTERED'),
          `attempt ${attempt} settled`,
        );
        entry = log[0];
        if (entry.status === 'DEAD_LETTERED') break;
        await advanceToNextAttempt(ctx, entry);
      }
      entry = ctx.expectPresent(entry, 'the delivery log shows the delivery');
      ctx.expectEqual(
        `after ${entry.attempts.length} failed attempts the delivery`,
        { status: 'DEAD_LETTERED', next_attempt_at: null },
        { status: entry.status, next_attempt_at: entry.next_attempt_at ?? null },
      );
      ctx.expect(entry.attempts.length > 1, 'a failed delivery is retried before it is dead-lettered', {
        expected: 'more than 1 attempt',
        received: entry.attempts.length,
      });
      const attempts = entry.attempts.length;
      ctx.expectStatus(await ctx.call('retryWebhookDelivery', { pathParams: { delivery_id: entry.id } }), 202);
      const [after] = await deliveriesWhen(
        ctx,
        jobId,
        (entries) => entries[0]?.attempts?.length > attempts && entries[0].status !== 'PENDING',
        'the manual retry settled',
      );
      ctx.expectEqual(
        'a failed manual retry leaves the delivery dead-lettered, no schedule restarted',
        { status: 'DEAD_LETTERED', next_attempt_at: null, attempts: attempts + 1 },
        { status: after.status, next_attempt_at: after.next_attempt_at ?? null, attempts: after.attempts.length },
      );
    },
  },
  {
    id: 'WEBHOOK-MANUAL-RETRY',
    title:
      'POST /sandbox/webhook-deliveries/{id}/retry sends a delivery once more, at once, with the same webhook-id and valid signatures; an unknown id is 404; once its endpoint is deleted, 409 WEBHOOK_ENDPOINT_DELETED',
    category: 'webhooks',
    level: 'sandbox',
    operations: [
      'createWebhookEndpoint',
      'createJob',
      'listWebhookDeliveries',
      'retryWebhookDelivery',
      'deleteWebhookEndpoint',
      'getAvailability',
    ],
    usesReceiver: true,
    negative: true,
    async run(ctx) {
      const inbox = ctx.openInbox();
      await registerInbox(ctx, inbox);
      const { jobId } = await newJob(ctx);
      await awaitDeliveries(ctx, inbox, jobId, 1, 'the CREATED event');
      const [delivered] = await deliveriesWhen(
        ctx,
        jobId,
        (entries) => entries[0]?.status === 'SUCCEEDED',
        'the delivery SUCCEEDED',
      );
      const retried = ctx.expectStatus(
        await ctx.call('retryWebhookDelivery', { pathParams: { delivery_id: delivered.id } }),
        202,
      );
      ctx.expectEqual('the retried delivery', delivered.id, retried.json?.id, retried);
      const deliveries = await awaitDeliveries(ctx, inbox, jobId, 2, 'the manual retry');
      ctx.expectEqual(
        'the retry carries the same webhook-id',
        [delivered.event_id, delivered.event_id],
        deliveries.map((d) => d.headers['webhook-id']),
      );
      ctx.expectEqual('every attempt conforms', [], deliveries.flatMap(deliveryProblems));
      await deliveriesWhen(
        ctx,
        jobId,
        (entries) => entries[0]?.attempts?.length === 2 && entries[0].status === 'SUCCEEDED',
        'the log showing both attempts',
      );
      ctx.expectStatus(
        await ctx.call('retryWebhookDelivery', { pathParams: { delivery_id: 'conform-unknown-delivery' } }),
        404,
      );
      ctx.expectStatus(
        await ctx.call('deleteWebhookEndpoint', { pathParams: { endpoint_id: delivered.endpoint_id } }),
        204,
      );
      ctx.expectStatus(
        await ctx.call('retryWebhookDelivery', { pathParams: { delivery_id: delivered.id } }),
        409,
        'WEBHOOK_ENDPOINT_DELETED',
      );
      ctx.expectEqual('nothing is sent for a deleted endpoint', 2, forJob(inbox.deliveries, jobId).length);
    },
  },
  {
    id: 'WEBHOOK-ENDPOINT-LIMIT-409',
    title: `A tenant holds at most ${ENDPOINT_LIMIT} webhook endpoints: one more is 409 WEBHOOK_ENDPOINT_LIMIT until one is deleted`,
    category: 'webhooks',
    level: 'sandbox',
    operations: ['createWebhookEndpoint', 'listWebhookEndpoints', 'deleteWebhookEndpoint'],
    usesReceiver: true,
    negative: true,
    async run(ctx) {
      const inboxes = Array.from({ length: ENDPOINT_LIMIT + 1 }, () => ctx.openInbox());
      const ids: string[] = [];
      for (const inbox of inboxes.slice(0, ENDPOINT_LIMIT)) {
        const created = ctx.expectStatus(
          await ctx.call('createWebhookEndpoint', { body: { url: inbox.url, secret: inbox.secret } }),
          201,
        );
        ids.push(created.json?.id);
      }
      const extra = { body: { url: inboxes[ENDPOINT_LIMIT].url, secret: inboxes[ENDPOINT_LIMIT].secret } };
      ctx.expectStatus(await ctx.call('createWebhookEndpoint', extra), 409, 'WEBHOOK_ENDPOINT_LIMIT');
      const listed = ctx.expectStatus(await ctx.call('listWebhookEndpoints'), 200);
      ctx.expectEqual(
        'the refused endpoint was not registered',
        [...ids].sort(),
        listed.json.map((e) => e.id).sort(),
        listed,
      );
      ctx.expectStatus(await ctx.call('deleteWebhookEndpoint', { pathParams: { endpoint_id: ids[0] } }), 204);
      ctx.expectStatus(await ctx.call('createWebhookEndpoint', extra), 201);
    },
  },
];
