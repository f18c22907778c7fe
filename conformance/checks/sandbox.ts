import { compareInstants, type Schemas } from '../../spec/contract';
import { uncheckedBody } from '../../client/api';
import { advanceJob, exactly, LIFECYCLE, millisecondsBetween, newJob, shifted } from './flows';
import type { Check } from './context';

export const sandboxChecks: Check[] = [
  {
    id: 'SANDBOX-HEALTH',
    title: 'GET /healthz answers 200 {status: ok} without a key',
    category: 'sandbox',
    level: 'sandbox',
    operations: ['getHealth'],
    statuses: { getHealth: [200] },
    async run(ctx) {
      const response = ctx.expectStatus(await ctx.call('getHealth', { apiKey: null }), 200);
      ctx.expectEqual('health status', 'ok', response.json.status, response);
    },
  },
  {
    id: 'SANDBOX-CLOCK-ADVANCE',
    title: 'Advancing a frozen tenant clock moves now and offset_seconds by exactly the seconds asked',
    category: 'sandbox',
    level: 'sandbox',
    operations: ['freezeClock', 'advanceClock'],
    statuses: { freezeClock: [200], advanceClock: [200, 422] },
    negative: true,
    async run(ctx) {
      const before = ctx.expectStatus(await ctx.call('freezeClock'), 200);
      const advanced = ctx.expectStatus(await ctx.call('advanceClock', { body: { seconds: 3600 } }), 200);
      ctx.expectEqual(
        'the clock moves by the seconds asked, and stays frozen',
        { moved_ms: 3600_000, offset_seconds: before.json.offset_seconds + 3600, frozen: true },
        {
          moved_ms: millisecondsBetween(before.json.now, advanced.json.now),
          offset_seconds: advanced.json.offset_seconds,
          frozen: advanced.json.frozen,
        },
        advanced,
      );
      ctx.expectStatus(
        await ctx.call('advanceClock', { body: uncheckedBody({ seconds: 0 }) }),
        422,
        'VALIDATION_FAILED',
      );
    },
  },
  {
    id: 'SANDBOX-CLOCK-FREEZE',
    title:
      'A frozen clock stands still and moves only when advanced; freezing and unfreezing twice change nothing; unfrozen, it runs on from where it stood',
    category: 'sandbox',
    level: 'sandbox',
    operations: ['freezeClock', 'getClock', 'advanceClock', 'unfreezeClock'],
    statuses: { freezeClock: [200], getClock: [200], advanceClock: [200], unfreezeClock: [200] },
    async run(ctx) {
      const frozen = ctx.expectStatus(await ctx.call('freezeClock'), 200);
      ctx.expectEqual('freezing answers a frozen clock', true, frozen.json.frozen, frozen);
      const instant = (response: { json: Schemas['Clock'] }) => ({
        now: exactly(response.json.now),
        offset_seconds: response.json.offset_seconds,
        frozen: response.json.frozen,
      });
      const read = ctx.expectStatus(await ctx.call('getClock'), 200);
      ctx.expectEqual('a frozen clock reads the instant it was frozen at', instant(frozen), instant(read), read);
      const again = ctx.expectStatus(await ctx.call('freezeClock'), 200);
      ctx.expectEqual('freezing a frozen clock changes nothing', instant(frozen), instant(again), again);
      const advanced = ctx.expectStatus(await ctx.call('advanceClock', { body: { seconds: 90 } }), 200);
      ctx.expectEqual(
        'an advance moves a frozen clock exactly',
        {
          ...instant(frozen),
          now: exactly(shifted(frozen.json.now, 90_000)),
          offset_seconds: frozen.json.offset_seconds + 90,
        },
        instant(advanced),
        advanced,
      );
      const running = ctx.expectStatus(await ctx.call('unfreezeClock'), 200);
      ctx.expectEqual('unfreezing answers a running clock', false, running.json.frozen, running);
      ctx.expect(
        compareInstants(running.json.now, advanced.json.now) >= 0,
        'an unfrozen clock runs on from the instant it stood at, never back',
        {
          expected: `from ${advanced.json.now}`,
          received: running.json.now,
          response: running,
        },
      );
      const twice = ctx.expectStatus(await ctx.call('unfreezeClock'), 200);
      ctx.expectEqual('unfreezing a running clock leaves it running', false, twice.json.frozen, twice);
    },
  },
  {
    id: 'JOB-LIFECYCLE-STEPS',
    title:
      'The driver moves a job one step at a time through the lifecycle, recording each in history; a final job or a backward move is 409 ILLEGAL_TRANSITION',
    category: 'jobs',
    level: 'sandbox',
    operations: ['getAvailability', 'createJob', 'advanceJob', 'cancelJob'],
    statuses: { getAvailability: [200], createJob: [201], advanceJob: [200, 409], cancelJob: [409] },
    negative: true,
    async run(ctx) {
      const { jobId } = await newJob(ctx);
      const pathParams = { job_id: jobId };
      await advanceJob(ctx, jobId, { to: 'PICKING_FINISHED' });
      ctx.expectStatus(
        await ctx.call('advanceJob', { pathParams, body: { to: 'PICKING_STARTED' } }),
        409,
        'ILLEGAL_TRANSITION',
      );
      let job: Schemas['Job'] | undefined;
      for (const step of LIFECYCLE.slice(3)) {
        job = await advanceJob(ctx, jobId);
        ctx.expectEqual('one step forward', step, job.state);
      }
      ctx.expectEqual(
        'history is the whole lifecycle, in order',
        LIFECYCLE,
        job?.history.map((h) => h.type),
      );
      ctx.expectStatus(await ctx.call('advanceJob', { pathParams }), 409, 'ILLEGAL_TRANSITION');
      ctx.expectStatus(await ctx.call('cancelJob', { pathParams }), 409, 'ILLEGAL_TRANSITION');
    },
  },
];
