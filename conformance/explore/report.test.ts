/**
 * An explore failure says what ran: the count of steps, the set-up's calls, and what each step
 * really acted on (the job a position reaches, or an id nobody handed out), evenly indented.
 */
import { WebhookReceiver } from '../receiver/receiver';
import { patchedServer, type RunningMutant } from '../../test/mutants/tools';
import { StepCommand, type Step } from './commands';
import { failureOf } from './run';
import { Mismatch, Session } from './session';

describe('the EXPLORE failure', () => {
  it('counts one step as one step, and indents every numbered step alike', () => {
    const trace = Array.from({ length: 11 }, (_, n) => ({
      n,
      step: n === 0 ? "(set-up) freeze tenant A's clock" : `tenant A: step ${n}`,
      exchanges: [],
    }));
    const one = failureOf(
      { trace: trace.slice(0, 2), error: new Mismatch('getJob answered 500', 200, 500), keys: ['k'] },
      { seed: 3, runs: 5, runsDone: 1, maxSteps: 40, stepsDone: 1, shrinks: 1, firstFailingSteps: 1 },
      'http://127.0.0.1:9',
      3,
    );
    expect(one.message.split('\n')[0]).toBe(
      'after 1 step (shrunk 1 time from a failing run of 1 step), step 1 getJob answered 500:',
    );
    const many = failureOf(
      { trace, error: new Mismatch('getJob answered 500', 200, 500), keys: ['k'] },
      {
        ...{ seed: 3, runs: 5, runsDone: 1, maxSteps: 40, stepsDone: 10, shrinks: 2, firstFailingSteps: 12 },
        replay: 'lastmile conform --explore --seed 3',
      },
      'http://127.0.0.1:9',
      3,
    );
    const numbered = many.message.split('\n').filter((line) => /^\s*\d+\. /.test(line));
    expect(numbered).toHaveLength(11);
    expect(numbered.map((line) => line.indexOf('. '))).toEqual(numbered.map(() => 4));
    expect(numbered[0]).toBe("   0. (set-up) freeze tenant A's clock");
    expect(numbered[10]).toBe('  10. tenant A: step 10');
    expect(many.message).toContain('seed 3; replay: lastmile conform --explore --seed 3');
  });
});

describe('an exploration trace', () => {
  let server: RunningMutant;
  const receiver = new WebhookReceiver();
  beforeAll(async () => {
    server = await patchedServer(() => undefined);
    await receiver.start({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await receiver.close();
    await server.close();
  });

  const session = (keys: string[], shared = false) =>
    new Session({
      baseUrl: server.url,
      keys,
      shared,
      timeoutMs: 3000,
      webhookWaitMs: 750,
      receiver,
      coverage: new Set(),
    });
  const called = (s: Session, n: number) => s.trace[n].exchanges.map((e) => e.operationId);

  it('names the set-up after the calls it made', async () => {
    const fresh = session([`trace-${Date.now()}-a`, `trace-${Date.now()}-b`]);
    await fresh.open();
    expect([fresh.trace[0].step, called(fresh, 0)]).toEqual([
      "(set-up) freeze each tenant's clock, add a webhook endpoint of the kit's receiver to tenant A",
      ['freezeClock', 'freezeClock', 'createWebhookEndpoint'],
    ]);
    await fresh.close();

    const shared = session([`trace-shared-${Date.now()}`], true);
    await shared.open();
    expect([shared.trace[0].step, called(shared, 0)]).toEqual([
      "(set-up) freeze tenant A's clock, list tenant A's webhook endpoints, add a webhook endpoint of the kit's receiver to tenant A",
      ['freezeClock', 'listWebhookEndpoints', 'createWebhookEndpoint'],
    ]);
    await shared.close();
  });

  it('names the job a step reaches: an unknown one before any, and a position past the last one wraps', async () => {
    const s = session([`trace-jobs-${Date.now()}`]);
    await s.open();
    const run = (step: Step) => new StepCommand(step).run(s.model, s);
    const cancelThird: Step = { op: 'cancel', tenant: 0, job: 2, invalid: false };
    try {
      await run(cancelThird);
      await run({ op: 'availability', tenant: 0 });
      await run({ op: 'createJob', tenant: 0, slot: 3, unused: true, code: false, idempotent: false, foreign: false });
      await run(cancelThird);
    } finally {
      await s.close();
    }
    const [unknown, , created, cancelled] = s.trace.slice(1);
    expect(unknown.step).toBe('tenant A: cancel unknown job');
    expect(unknown.exchanges[0].request.url).toMatch(/\/jobs\/unknown-[0-9a-f]+\/cancel$/);
    expect(created.step).toBe('tenant A: create a job on unused slot #4');
    const jobId = s.model.tenants[0].jobs[0].id;
    expect(cancelled.step).toBe('tenant A: cancel job #1');
    expect(cancelled.exchanges[0].request.url).toContain(`/jobs/${encodeURIComponent(jobId)}/cancel`);
    // Drawn, without a scene, the step keeps the position it was drawn with.
    expect(new StepCommand(cancelThird).toString()).toBe('tenant A: cancel job #3');
  });
});
