/**
 * The sandbox's domain at a glance: slots, jobs, their lifecycle, delivery codes and the
 * tenants' clocks, as plain functions over one transaction (server/domain/operation.ts).
 * Plain TypeScript: it knows nothing of HTTP, of webhooks or of how a store keeps records.
 * The application layer (server/application/sandbox.ts) runs each operation.
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

export function clockView(state: ClockState, realNowMs: number): Schemas['Clock'] {
  return {
    now: iso(clockNow(state, realNowMs)),
    offset_seconds: offsetSeconds(state),
    frozen: state.frozenAtMs !== null,
  };
}
