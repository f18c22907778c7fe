/**
 * Every webhook attempt is one line of the server's log, with its delivery, job, event type,
 * status or error, latency and outcome, and never the tenant's API key.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { startTestServer } from '../../test/support/harness';
import { Receiver } from '../../test/support/receiver';

it('logs one line per attempt: a 500, then its retry answered 200', async () => {
  const lines: any[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(text));
      done();
    },
  });
  const logger = pino({ level: 'info' }, sink);
  const { api, close } = await startTestServer({ webhookRetrySchedule: [5] }, { logger });
  const receiver = await new Receiver((_req, res, index) => {
    res.statusCode = index === 0 ? 500 : 200;
    res.end();
  }).start();
  try {
    await api.post('/sandbox/webhook-endpoints', { url: receiver.url });
    const { id: jobId } = await api.createJob();
    await receiver.waitFor(1);
    const attempts = () => lines.filter((l) => l.msg === 'webhook attempt');
    for (let i = 0; i < 500 && attempts().length < 1; i++) await new Promise((r) => setTimeout(r, 10));
    await api.advanceClock(5);
    for (let i = 0; i < 500 && attempts().length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    const [failed, succeeded] = attempts();
    expect(failed).toEqual(
      expect.objectContaining({
        level: 30,
        job_id: jobId,
        event_type: 'CREATED',
        delivery_id: expect.stringMatching(/^whd_/),
        attempt: 1,
        status: 500,
        error: 'HTTP 500',
        latency_ms: expect.any(Number),
        outcome: 'PENDING',
        next_attempt_at: expect.any(String),
      }),
    );
    expect(succeeded).toEqual(
      expect.objectContaining({ delivery_id: failed.delivery_id, attempt: 2, status: 200, outcome: 'SUCCEEDED' }),
    );
    expect(succeeded.error).toBeUndefined();
    expect(JSON.stringify(attempts())).not.toContain(api.key);
  } finally {
    await receiver.stop();
    await close();
  }
});
