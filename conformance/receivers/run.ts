/**
 * `lastmile conform-receiver`: judges an integrator's webhook receiver. The checks run one
 * at a time, in catalogue order, against the one URL; the results are the kit's own
 * (conformance/types.ts), so `lastmile conform`'s reporters render them.
 */
import { randomBytes } from 'node:crypto';
import { validatorAt } from '../../spec/contract';
import { failureFromError } from '../checks/failure';
import type { CheckResult, RunResult } from '../checks/result';
import { receiverChecks, type ReceiverCheck } from './checks';
import { ReceiverContext, type ReceiverContextConfig } from './context';
import { CONFORMANCE_PREFIX, EventFactory } from './events';

/** The sandbox's own timeout for a webhook attempt. */
export const DEFAULT_RECEIVER_TIMEOUT_MS = 5000;

export interface ReceiverConformanceOptions {
  /** The receiver's URL, where the sandbox would POST. */
  url: string;
  /** The secret the receiver verifies with (`whsec_…`), as the sandbox gave it. */
  secret: string;
  /** How long an answer may take (default: the sandbox's 5 s). */
  timeoutMs?: number;
  /** Called before the first delivery with what the run will send. */
  onNotice?: (message: string) => void;
  /** Called as each check finishes. */
  onResult?: (result: CheckResult) => void;
  /** The checks to run, in order; all by default. */
  checks?: readonly ReceiverCheck[];
}

/** A secret the contract does not accept, or a URL that is not http(s): nothing is sent. */
export class ReceiverOptionsError extends Error {}

/** Why the secret is not one the contract accepts, or null. */
export function secretProblem(secret: string): string | null {
  const validate = validatorAt('#/components/schemas/CreateWebhookEndpointRequest/properties/secret');
  return validate(secret)
    ? null
    : 'not a webhook secret the contract accepts: base64, optionally prefixed whsec_, 16 to 200 characters (the one the sandbox gave your endpoint)';
}

async function runCheck(
  check: ReceiverCheck,
  config: ReceiverContextConfig,
): Promise<{ result: CheckResult; unreachable?: string }> {
  const ctx = new ReceiverContext(config);
  const started = performance.now();
  try {
    await check.run(ctx);
  } catch (error) {
    ctx.failures.push(failureFromError(error, ctx.exchanges[ctx.exchanges.length - 1]));
  }
  const result: CheckResult = {
    id: check.id,
    title: check.title,
    category: check.category,
    level: 'contract',
    operations: [...new Set(ctx.exchanges.map((e) => e.operationId))],
    negative: check.negative === true,
    status: ctx.failures.length > 0 ? 'failed' : 'passed',
    durationMs: Math.round((performance.now() - started) * 10) / 10,
    failures: ctx.failures,
    exchanges: ctx.exchanges,
    ...(ctx.warnings.length > 0 ? { warnings: ctx.warnings } : {}),
  };
  const unreachable =
    ctx.exchanges.length > 0 && ctx.connectionErrors.length === ctx.exchanges.length
      ? ctx.connectionErrors[0]
      : undefined;
  return { result, ...(unreachable ? { unreachable } : {}) };
}

export async function runReceiverConformance(options: ReceiverConformanceOptions): Promise<RunResult> {
  const problem = secretProblem(options.secret);
  if (problem) throw new ReceiverOptionsError(`--secret: ${problem}`);
  const started = Date.now();
  const events = new EventFactory();
  const config: ReceiverContextConfig = {
    url: options.url,
    secret: options.secret,
    otherSecret: `whsec_${randomBytes(24).toString('base64')}`,
    timeoutMs: options.timeoutMs ?? DEFAULT_RECEIVER_TIMEOUT_MS,
    events,
    story: events.story(),
  };
  const notice = `every delivery names a job id starting ${CONFORMANCE_PREFIX}${events.runId}- (client_reference the same, event ids evt_${CONFORMANCE_PREFIX}${events.runId}-…)`;
  options.onNotice?.(notice);
  const results: CheckResult[] = [];
  for (const check of options.checks ?? receiverChecks) {
    const { result, unreachable } = await runCheck(check, config);
    // Nothing answered the very first delivery: a wrong URL fails at once, not once per check.
    if (results.length === 0 && unreachable)
      throw new ReceiverOptionsError(`cannot reach ${options.url}: ${unreachable}`);
    results.push(result);
    options.onResult?.(result);
  }
  return {
    tool: {
      name: 'lastmile conform-receiver',
      version: (require('../../package.json') as { version: string }).version,
    },
    baseUrl: options.url,
    level: 'contract',
    notices: [notice],
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    summary: {
      passed: results.filter((r) => r.status === 'passed').length,
      failed: results.filter((r) => r.status === 'failed').length,
      skipped: 0,
    },
    checks: results,
  };
}
