/**
 * The sandbox's domain at a glance: slots, jobs, their lifecycle, delivery codes and the
 * tenants' clocks, as plain functions that read one transaction (server/domain/operation.ts)
 * and return what happened (server/domain/outcome.ts). Plain TypeScript: it knows nothing
 * of HTTP, of webhooks or of how a store keeps records. The application layer
 * (server/application/sandbox.ts) runs each operation and writes its outcome.
 */
import type { Schemas } from '../../spec/contract';
import { advancedClock, clockNow, iso, offsetSeconds } from './clock';
import { checkDeliveryCode } from './delivery-code';
import { validationFailed } from './errors';
import { DEFAULT_SANDBOX_CONFIG, LIFECYCLE, type SandboxPolicies } from './operation';
import { slotExpired } from './slots';
import type { ClockState } from './store';

export { DEFAULT_SANDBOX_CONFIG, LIFECYCLE };
export type { AvailabilityRequest } from './slots';
export type { CreateJobRequest, CreatedJob } from './jobs';
export type { EventType, JobEvent, JobState, OperationContext, SandboxConfig, SandboxPolicies } from './operation';

/** The contract's rules. */
export const DEFAULT_SANDBOX_POLICIES: SandboxPolicies = { slotExpired, checkDeliveryCode };

/**
 * A tenant's clock. Not past year 9000: every time derived from it (slot expiry, retries,
 * idempotency) must stay a four-digit-year date-time, and Date itself ends in year 275760.
 */
const CLOCK_LIMIT_MS = Date.UTC(9000, 0, 1);

/** The clock moved on by `seconds`, or VALIDATION_FAILED past the limit. */
export function clockAdvancedBy(state: ClockState, realNowMs: number, seconds: number): ClockState {
  if (clockNow(state, realNowMs) + seconds * 1000 > CLOCK_LIMIT_MS) {
    throw validationFailed([
      {
        location: 'body',
        param: 'seconds',
        value: seconds,
        msg: `would move the clock past ${iso(CLOCK_LIMIT_MS)}, where tenant clocks stop`,
      },
    ]);
  }
  return advancedClock(state, seconds);
}

/** The clock moved on to the instant `to`, or VALIDATION_FAILED when `to` is before its now. */
export function clockAdvancedTo(state: ClockState, realNowMs: number, to: string): ClockState {
  const nowMs = clockNow(state, realNowMs);
  const toMs = Date.parse(to);
  if (toMs < nowMs) {
    throw validationFailed([
      { location: 'body', param: 'to', value: to, msg: `is before the tenant's clock, now ${iso(nowMs)}` },
    ]);
  }
  if (toMs > CLOCK_LIMIT_MS) {
    throw validationFailed([
      { location: 'body', param: 'to', value: to, msg: `is past ${iso(CLOCK_LIMIT_MS)}, where tenant clocks stop` },
    ]);
  }
  return advancedClock(state, (toMs - nowMs) / 1000);
}

/** Exactly one of `seconds` and `to`: the body of an advance, as the schema cannot say. */
export function clockAdvance(
  state: ClockState,
  realNowMs: number,
  request: Schemas['AdvanceClockRequest'],
): ClockState {
  const given = (request.seconds !== undefined ? 1 : 0) + (request.to !== undefined ? 1 : 0);
  if (given !== 1) {
    throw validationFailed([{ location: 'body', param: 'seconds', msg: 'give exactly one of seconds and to' }]);
  }
  return request.to !== undefined
    ? clockAdvancedTo(state, realNowMs, request.to)
    : clockAdvancedBy(state, realNowMs, request.seconds!);
}

export function clockView(state: ClockState, realNowMs: number): Schemas['Clock'] {
  return {
    now: iso(clockNow(state, realNowMs)),
    offset_seconds: offsetSeconds(state),
    frozen: state.frozenAtMs !== null,
  };
}
