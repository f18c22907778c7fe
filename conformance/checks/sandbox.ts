import { advanceJob, LIFECYCLE, newJob, type Json } from '../flows';
import type { Check } from '../types';

export const sandboxChecks: Check[] = [
  {
    id: 'SANDBOX-HEALTH',
    title: 'GET /healthz answers 200 {status: ok} without a key',
    category: 'sandbox',
    level: 'sandbox',
    operations: ['getHealth'],
    async run(ctx) {
      const response = await ctx.call('getHealth', { apiKey: null });
      ctx.expectStatus(response, 200);
      ctx.expectEqual('health status', 'ok', response.json.status, response);
    },
  },
  {
    id: 'SANDBOX-CLOCK-ADVANCE',
    title: 'Advancing the tenant clock moves now and offset_seconds by exactly the seconds asked',
    category: 'sandbox',
    level: 'sandbox',
    operations: ['getClock', 'advanceClock'],
    negative: true,
    async run(ctx) {
      const before = await ctx.call('getClock');
      ctx.expectStatus(before, 200);
      const advanced = await ctx.call('advanceClock', { body: { seconds: 3600 } });
      ctx.expectStatus(advanced, 200);
      ctx.expectEqual('offset_seconds grows by the seconds asked', before.json.offset_seconds + 3600, advanced.json.offset_seconds, advanced);
      const moved = Date.parse(advanced.json.now) - Date.parse(before.json.now);
      ctx.expect(moved >= 3600_000 && moved < 3600_000 + 5_000, 'now moves by the seconds asked (plus the real time between the calls)', {
        expected: '3600 s (+ < 5 s)', received: `${moved / 1000} s`, response: advanced,
      });
      ctx.expectStatus(await ctx.call('advanceClock', { body: { seconds: 0 } }), 422, 'VALIDATION_FAILED');
    },
  },
  {
    id: 'JOB-LIFECYCLE-STEPS',
    title: 'The driver moves a job one step at a time through the lifecycle, recording each in history; a final job or a backward move is 409 ILLEGAL_TRANSITION',
    category: 'jobs',
    level: 'sandbox',
    operations: ['getAvailability', 'createJob', 'advanceJob', 'cancelJob'],
    negative: true,
    async run(ctx) {
      const { jobId } = await newJob(ctx);
      const pathParams = { job_id: jobId };
      await advanceJob(ctx, jobId, { to: 'PICKING_FINISHED' });
      ctx.expectStatus(await ctx.call('advanceJob', { pathParams, body: { to: 'PICKING_STARTED' } }), 409, 'ILLEGAL_TRANSITION');
      let job: Json;
      for (const step of LIFECYCLE.slice(3)) {
        job = await advanceJob(ctx, jobId);
        ctx.expectEqual('one step forward', step, job.state);
      }
      ctx.expectEqual('history is the whole lifecycle, in order', LIFECYCLE, job.history.map((h: Json) => h.type));
      ctx.expectStatus(await ctx.call('advanceJob', { pathParams }), 409, 'ILLEGAL_TRANSITION');
      ctx.expectStatus(await ctx.call('cancelJob', { pathParams }), 409, 'ILLEGAL_TRANSITION');
    },
  },
];
