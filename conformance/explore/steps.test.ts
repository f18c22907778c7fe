/**
 * Drive-then-amend alone, on a fresh tenant that holds no job: it makes the job it needs, so one
 * draw of it reaches a job on the road and a payment update that changes nothing, whatever the
 * steps before it left.
 */
import { WebhookReceiver } from '../receiver/receiver';
import { patchedServer, type RunningMutant } from '../../test/mutants/tools';
import { statefulMutants } from '../../test/mutants/stateful';
import { StepCommand, type Step } from './commands';
import { exploreKey } from './run';
import { Session } from './session';

const receiver = new WebhookReceiver();
beforeAll(() => receiver.start({ host: '127.0.0.1', port: 0 }));
afterAll(() => receiver.close());

/** The step alone after the set-up; the trace's calls, and the error it stopped on, if any. */
async function alone(server: RunningMutant, step: Step): Promise<{ calls: string[]; error?: string }> {
  const session = new Session({
    baseUrl: server.url,
    keys: [exploreKey()],
    shared: false,
    timeoutMs: 5000,
    webhookWaitMs: 5000,
    receiver,
    coverage: new Set(),
  });
  let error: string | undefined;
  try {
    await session.open();
    await new StepCommand(step).run(session.model, session);
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  }
  const calls = session.trace[1]?.exchanges.map((x) => `${x.operationId} ${x.response?.status}`) ?? [];
  await session.close();
  return { calls, error };
}

const onTheRoad: Step = { op: 'driveThenAmend', tenant: 0, job: 0, to: 'GOING_TO_DESTINATION_STARTED' };
const cancelled: Step = { op: 'driveThenAmend', tenant: 0, job: 0, to: 'CANCELLED' };

describe('drive-then-amend on a tenant without jobs', () => {
  it('creates a job, updates its payment with the same prices and is refused the reschedule on the road, against the reference', async () => {
    const server = await patchedServer(() => undefined);
    try {
      expect(await alone(server, onTheRoad)).toEqual({
        calls: [
          'getAvailability 200',
          'createJob 201',
          'getJob 200',
          'updatePaymentInfo 200',
          'advanceJob 200',
          'rescheduleJob 409',
          'updateRecipientInstructions 200',
          'advanceJob 200',
        ],
      });
      expect((await alone(server, cancelled)).error).toBeUndefined();
    } finally {
      await server.close();
    }
  }, 30_000);

  it.each([
    ['RESCHEDULE-ON-THE-ROAD', onTheRoad, /^rescheduleJob answered/],
    ['PRICES-UPDATED-WITHOUT-CHANGE', cancelled, /webhooks at endpoint .*the events received/],
  ])(
    'kills %s in one draw',
    async (id, step, failure) => {
      const server = await statefulMutants.find((m) => m.id === id)!.start();
      try {
        expect((await alone(server, step)).error).toMatch(failure);
      } finally {
        await server.close();
      }
    },
    30_000,
  );
});
