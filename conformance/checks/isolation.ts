import { advanceJob, getJob, holdSlot, LIFECYCLE, minimalOrder, newJob } from './flows';
import type { Check } from './context';
import { awaitDeliveries, forJob, registerInbox } from './webhooks';

export const isolationChecks: Check[] = [
  {
    id: 'ISOLATION-SLOT-JOB-404',
    title: "A second key gets 404 on the first key's slot and job, on every operation, and changes nothing",
    category: 'isolation',
    level: 'contract',
    operations: [
      'getAvailability',
      'createJob',
      'getJob',
      'checkSlot',
      'extendSlot',
      'updateDeliveryCode',
      'rescheduleJob',
      'cancelJob',
    ],
    statuses: {
      getAvailability: [200],
      createJob: [201, 404],
      getJob: [200, 404],
      checkSlot: [200, 404],
      extendSlot: [404],
      updateDeliveryCode: [404],
      rescheduleJob: [404],
      cancelJob: [404],
    },
    negative: true,
    async run(ctx) {
      const other = ctx.clientFor(ctx.secondKey());
      const slot = await holdSlot(ctx);
      const { jobId } = await newJob(ctx, { deliveryCode: true });
      const job = await getJob(ctx, jobId);
      const theirSlot = await holdSlot(ctx, other);
      const slotParams = { slot_id: slot.id };
      const jobParams = { job_id: jobId };
      ctx.softStatus(
        await other.call('checkSlot', { pathParams: slotParams }),
        404,
        'SLOT_NOT_FOUND',
        "check another tenant's slot",
      );
      ctx.softStatus(
        await other.call('extendSlot', { pathParams: slotParams }),
        404,
        'SLOT_NOT_FOUND',
        "extend another tenant's slot",
      );
      ctx.softStatus(
        await other.call('createJob', { body: minimalOrder(slot.id) }),
        404,
        'SLOT_NOT_FOUND',
        "create a job on another tenant's slot",
      );
      ctx.softStatus(
        await other.call('getJob', { pathParams: jobParams }),
        404,
        'JOB_NOT_FOUND',
        "read another tenant's job",
      );
      ctx.softStatus(
        await other.call('updateDeliveryCode', { pathParams: jobParams, body: { delivery_code: '0000' } }),
        404,
        'JOB_NOT_FOUND',
        "update another tenant's code",
      );
      ctx.softStatus(
        await other.call('rescheduleJob', {
          pathParams: jobParams,
          body: { slot_id: theirSlot.id, reason: 'isolation' },
        }),
        404,
        undefined,
        "reschedule another tenant's job",
      );
      ctx.softStatus(
        await other.call('cancelJob', { pathParams: jobParams }),
        404,
        'JOB_NOT_FOUND',
        "cancel another tenant's job",
      );
      const check = ctx.expectStatus(await ctx.call('checkSlot', { pathParams: slotParams }), 200);
      ctx.expectEqual(
        "the first tenant's slot is untouched",
        { valid: true, extended: false },
        { valid: check.json.valid, extended: Boolean(check.json.extended) },
        check,
      );
      const after = await getJob(ctx, jobId);
      ctx.expectEqual(
        "the first tenant's job is untouched",
        { state: job.state, delivery_code: job.delivery_code, slot: job.slot.id },
        { state: after.state, delivery_code: after.delivery_code, slot: after.slot?.id },
      );
    },
  },
  {
    id: 'ISOLATION-WEBHOOKS',
    title:
      "A second key cannot drive the first key's job nor see its deliveries, and its endpoint receives none of its events",
    category: 'isolation',
    level: 'sandbox',
    operations: ['createWebhookEndpoint', 'getAvailability', 'createJob', 'advanceJob', 'listWebhookDeliveries'],
    statuses: {
      createWebhookEndpoint: [201],
      getAvailability: [200],
      createJob: [201],
      advanceJob: [200, 404],
      listWebhookDeliveries: [200],
    },
    usesReceiver: true,
    negative: true,
    async run(ctx) {
      const other = ctx.clientFor(ctx.secondKey());
      const mine = ctx.openInbox();
      const theirs = ctx.openInbox();
      await registerInbox(ctx, mine);
      await registerInbox(ctx, theirs, other);
      const { jobId } = await newJob(ctx);
      ctx.softStatus(
        await other.call('advanceJob', { pathParams: { job_id: jobId } }),
        404,
        'JOB_NOT_FOUND',
        "drive another tenant's job",
      );
      await advanceJob(ctx, jobId, { to: 'CLIENT_RECEIVED' });
      await awaitDeliveries(ctx, mine, jobId, LIFECYCLE.length, "the first tenant's events");
      const { jobId: theirJob } = await newJob(ctx, { client: other });
      // Their own event proves their endpoint works, so that the silence below means something.
      await awaitDeliveries(ctx, theirs, theirJob, 1, "the second tenant's own CREATED");
      ctx.expectEqual(
        "the second tenant's endpoint got none of the first tenant's events",
        [],
        forJob(theirs.deliveries, jobId).map((d) => d.json?.type),
      );
      ctx.expectEqual(
        "the first tenant's endpoint got none of the second tenant's events",
        [],
        forJob(mine.deliveries, theirJob).map((d) => d.json?.type),
      );
      const log = ctx.expectStatus(await other.call('listWebhookDeliveries', { query: { job_id: jobId } }), 200);
      ctx.expectEqual("the second tenant's delivery log holds nothing of the first tenant's job", [], log.json, log);
    },
  },
];
