// A TypeScript consumer, type-checked (never run) against the installed package's declarations.
import { createClient, startSandbox, SandboxError, type RunningSandbox, type Schemas } from 'lastmile-kit';
import { createClient as createClientOnly, type JobsClient } from 'lastmile-kit/client';
import { runConformance, type ConformanceOptions, type RunResult } from 'lastmile-kit/conformance';
import { generateOrders, type OrderFixture } from 'lastmile-kit/fixtures';

export async function walkThrough(order: OrderFixture): Promise<number> {
  const sandbox: RunningSandbox = await startSandbox({
    slotTtlSeconds: 600,
    apiKeys: ['team-key'],
    webhookRetrySchedule: [1, 5],
  });
  const client: JobsClient = createClient({ baseUrl: sandbox.url, apiKey: sandbox.apiKey });
  const { data: slots } = await client.POST('/jobs/availability/v2', { body: order.availability });
  const slot: Schemas['Slot'] | undefined = slots?.[0];
  const created = await client.POST('/jobs', { body: { ...order.create_job, slot_id: slot?.id ?? '' } });
  if (created.error) {
    const code: string = created.error.code;
    throw new Error(code);
  }
  const jobId: string = created.data.job_id;
  await sandbox.freezeClock();
  await sandbox.advanceClock(960);
  const job = await sandbox.driveJob(jobId, { to: 'CLIENT_RECEIVED' });
  const state: Schemas['JobState'] = job.state;
  const endpoint = await sandbox.tenant('another').addWebhookEndpoint({ url: 'http://127.0.0.1:9/hooks' });
  const secret: string = endpoint.secret;
  await sandbox.reset();
  const other = createClientOnly({ baseUrl: 'https://api.example.com', apiKey: 'production-key' });
  const fetched = await other.GET('/jobs/{job_id}', { params: { path: { job_id: jobId } } });
  if (fetched.response.status === 404 && fetched.error) console.log(fetched.error.code, state, secret);
  const options: ConformanceOptions = { baseUrl: sandbox.url, apiKey: sandbox.apiKey, level: 'contract' };
  const run: RunResult = await runConformance(options);
  await sandbox.close();
  return run.summary.failed;
}

export const firstOrder: OrderFixture = [
  ...generateOrders({ count: 1, seed: 1, locale: 'es_MX', scenario: 'mixed' }),
][0];
export const isRefusal = (error: unknown): boolean => error instanceof SandboxError && error.status === 409;
