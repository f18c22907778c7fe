/**
 * `--explore`: random sequences of steps, judged by the model, run with fast-check's
 * model-based testing so that a failing sequence is shrunk to a minimal one. The result
 * is one check, EXPLORE: the numbered steps, expected against received at the failing
 * step, and a curl script that replays them.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import type { WebhookReceiver } from '../receiver/receiver';
import type { CheckResult, ExploreReport, ExploreStep } from '../checks/result';
import type { Model } from './model';
import type { Exchange } from '../../client/exchange';
import type { Failure } from '../checks/failure';
import { EXPLORE_OPERATIONS, StepCommand, stepArbitrary } from './commands';
import { replayScript } from '../runner/script';
import { Mismatch, Session, type TraceStep } from './session';

export const EXPLORE_DEFAULTS = { runs: 100, steps: 40 };
/**
 * Deliveries to the kit's receiver come in milliseconds, but on a loaded machine a correct server's
 * can take longer: until a run fails, and when the minimal sequence is run again, a missing
 * delivery is waited for as long as a call. While shrinking, a missing one must not cost that in
 * every attempt: a shrunk sequence failing only for want of patience is then caught by the re-run.
 */
const SHRINK_WEBHOOK_WAIT_MS = 750;

export interface ExploreOptions {
  baseUrl: string;
  runs?: number;
  steps?: number;
  seed?: number;
  timeoutMs: number;
  receiver: WebhookReceiver;
  /** The tenants of one run: fresh keys per run, or the shared ones. */
  keys(): string[];
  shared: boolean;
  /** Why exploration cannot run here, if it cannot. */
  unavailable?: string;
  /**
   * Shrink a failing sequence and run the minimal one again (the default). Off, the first
   * failing sequence is reported as found: whether a seed kills, without the cost of why.
   */
  shrink?: boolean;
  /** Filled with every (operationId, status) pair seen. */
  coverage?: Set<string>;
  signal?: AbortSignal;
}

export interface FailedRun {
  trace: TraceStep[];
  error: unknown;
  keys: string[];
}

const EXPLORE_TITLE =
  'Random sequences of operations, over one or two tenants, answer as the model of the contract says; webhooks arrive in order, signed, with the job inside';

function calls(exchanges: Exchange[]) {
  return exchanges.map((e) => ({
    operationId: e.operationId,
    method: e.request.method,
    url: e.request.url,
    ...(e.response ? { status: e.response.status } : {}),
  }));
}

export async function runExplore(options: ExploreOptions): Promise<CheckResult> {
  const started = performance.now();
  const runs = options.runs ?? EXPLORE_DEFAULTS.runs;
  const maxSteps = options.steps ?? EXPLORE_DEFAULTS.steps;
  const seed = options.seed ?? 1;
  const base = {
    id: 'EXPLORE',
    title: EXPLORE_TITLE,
    category: 'explore',
    level: 'sandbox' as const,
    operations: EXPLORE_OPERATIONS,
    negative: false,
  };
  const report: ExploreReport = { seed, runs, runsDone: 0, maxSteps, stepsDone: 0, shrinks: 0 };
  const done = (
    status: CheckResult['status'],
    failures: Failure[],
    exchanges: Exchange[],
    reason?: string,
  ): CheckResult => ({
    ...base,
    status,
    ...(reason ? { reason } : {}),
    durationMs: Math.round((performance.now() - started) * 10) / 10,
    failures,
    exchanges,
    explore: report,
  });
  if (options.unavailable) return done('skipped', [], [], options.unavailable);

  const coverage = options.coverage ?? new Set<string>();
  const tenants = options.keys().length;
  let lastFailure: FailedRun | undefined;
  let firstFailureAt: number | undefined;
  let shrinking = false;
  /** One sequence on fresh tenants: throws where the model and the answers part; `failed` gets the trace. */
  const runOnce = async (
    commands: Iterable<fc.AsyncCommand<Model, Session>>,
    failed: (run: FailedRun) => void,
  ): Promise<void> => {
    const keys = options.keys();
    const session = new Session({
      baseUrl: options.baseUrl,
      keys,
      shared: options.shared,
      timeoutMs: options.timeoutMs,
      webhookWaitMs: shrinking ? Math.min(SHRINK_WEBHOOK_WAIT_MS, options.timeoutMs) : options.timeoutMs,
      receiver: options.receiver,
      signal: options.signal,
      coverage,
    });
    try {
      await session.open();
      await fc.asyncModelRun(() => ({ model: session.model, real: session }), commands);
      session.begin('wait for every webhook due, at every endpoint');
      for (const [i, tenant] of session.model.tenants.entries()) {
        await session.settle(tenant);
        await session.sync(i, tenant);
      }
    } catch (error) {
      failed({ trace: session.trace.slice(), error, keys });
      throw error;
    } finally {
      report.stepsDone += session.trace.length - 1;
      await session.close();
    }
  };
  const property = fc.asyncProperty(
    fc.commands([stepArbitrary(tenants).map((step) => new StepCommand(step))], { maxCommands: maxSteps, size: 'max' }),
    async (commands) => {
      report.runsDone += 1;
      await runOnce(commands, (run) => {
        lastFailure = run;
        if (firstFailureAt === undefined) {
          firstFailureAt = performance.now();
          shrinking = true;
          report.firstFailingSteps = run.trace.length - 1;
        }
      });
    },
  );

  const shrink = options.shrink ?? true;
  const details = await fc.check(property, { seed, numRuns: runs, endOnFailure: !shrink });
  const exchanges = lastFailure?.trace.flatMap((s) => s.exchanges) ?? [];
  if (!details.failed || !lastFailure) {
    return details.failed
      ? done('failed', [{ message: `the exploration stopped: ${String(details.errorInstance)}` }], [])
      : done('passed', [], []);
  }
  report.shrinks = details.numShrinks;
  report.shrinkMs = Math.round(performance.now() - (firstFailureAt ?? performance.now()));
  report.replay = `lastmile conform --base-url ${options.baseUrl} --explore --seed ${seed} --explore-runs ${runs} --explore-steps ${maxSteps}`;
  // The minimal sequence once more, on fresh tenants: a failure that does not come back is flaky.
  const minimal = details.counterexample?.[0];
  shrinking = false;
  if (minimal && shrink) {
    let again: FailedRun | undefined;
    await runOnce(minimal, (run) => {
      again = run;
    }).catch(() => undefined);
    report.recheck = again
      ? { status: 'failed', steps: stepsOf(again.trace), received: receivedOf(again.error) }
      : { status: 'passed', steps: [] };
  }
  const failure = failureOf(lastFailure, report, options.baseUrl, seed);
  return done('failed', [failure], exchanges);
}

const stepsOf = (trace: TraceStep[]) => trace.map((s) => ({ n: s.n, step: s.step, calls: calls(s.exchanges) }));
const receivedOf = (error: unknown) =>
  error instanceof Mismatch
    ? error.received
    : error instanceof Error
      ? `${error.name}: ${error.message}`
      : String(error);

/** "1 step", "4 steps". */
const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

/**
 * The EXPLORE failure: a heading, the numbered steps (indented, numbers aligned) with the calls
 * each made, how the re-run went, and the seed with the command that replays the exploration.
 */
export function failureOf(run: FailedRun, report: ExploreReport, baseUrl: string, seed: number): Failure {
  const steps = stepsOf(run.trace);
  const last = run.trace[run.trace.length - 1];
  const mismatch = run.error instanceof Mismatch ? run.error : undefined;
  report.steps = steps;
  report.expected = mismatch?.expected;
  report.received = receivedOf(run.error);
  report.script = replayScript(run.trace, {
    baseUrl,
    keys: run.keys,
    title: `lastmile conform --explore --seed ${seed}: minimal failing sequence, ${steps.length - 1} steps`,
  });
  const width = String(Math.max(0, ...[...steps, ...(report.recheck?.steps ?? [])].map((s) => s.n))).length;
  const numberedOf = (list: ExploreStep[]) =>
    list.map(
      (s) =>
        `  ${String(s.n).padStart(width)}. ${s.step}${s.calls.length ? `  [${s.calls.map((c) => `${c.operationId} ${c.status ?? '-'}`).join(', ')}]` : ''}`,
    );
  const recheck = report.recheck;
  return {
    message: [
      `${recheck?.status === 'passed' ? 'flaky: ' : ''}after ${count(steps.length - 1, 'step')} (shrunk ${count(report.shrinks, 'time')} from a failing run of ${count(report.firstFailingSteps ?? steps.length - 1, 'step')}), step ${last.n} ${mismatch ? mismatch.message : 'stopped on an error'}:`,
      ...numberedOf(steps),
      recheck === undefined
        ? 'not run again (no minimal sequence)'
        : recheck.status === 'failed'
          ? `run again on fresh tenants: failed again, at step ${recheck.steps[recheck.steps.length - 1]?.n ?? '?'}`
          : 'flaky: run again on fresh tenants, the same sequence passed:',
      ...(recheck?.status === 'passed' ? numberedOf(recheck.steps) : []),
      `seed ${seed}; replay: ${report.replay}`,
      'the curl script of the minimal sequence is in the JSON and HTML reports (explore.script)',
    ].join('\n'),
    expected: report.expected,
    received: report.received,
    exchange: mismatch?.exchange ?? last.exchanges[last.exchanges.length - 1],
  };
}

/** A fresh random key: a fresh tenant on implementations that open one for any key. */
export function exploreKey(): string {
  return `explore_${randomBytes(9).toString('hex')}`;
}
