export interface OutboxConfig {
  /** Seconds to wait after the 1st, 2nd, ... failed attempt; after the last, dead-lettered. */
  retrySchedule: number[];
  /** Each wait is multiplied by a random factor in [1 - jitter, 1 + jitter]. */
  retryJitter: number;
  timeoutMs: number;
  allowPrivate: boolean;
  maxEndpointsPerTenant: number;
  /** Delivery log entries kept per tenant; finished ones are forgotten oldest first. */
  maxDeliveriesPerTenant: number;
  random: () => number;
  /**
   * How long past its timeout an attempt's lease lasts, in real ms and on the tenant's
   * clock alike: an instance that died mid-attempt holds the delivery no longer than that.
   */
  leaseMarginMs: number;
  /** Real ms between looks for deliveries other instances queued (shared stores only). */
  pollIntervalMs: number;
  /**
   * Seconds on the tenant clock a relay endpoint may go without a stream before it is
   * removed and its pending deliveries dead-lettered.
   */
  relayGraceSeconds: number;
  /** Real ms between a relay stream's keep-alives; a holder unheard of for three of them counts as gone. */
  relayHeartbeatMs: number;
}

export const DEFAULT_OUTBOX_CONFIG: Readonly<OutboxConfig> = Object.freeze({
  retrySchedule: Object.freeze([1, 5, 30, 120, 600]) as number[],
  retryJitter: 0.1,
  timeoutMs: 5000,
  allowPrivate: true,
  maxEndpointsPerTenant: 3,
  maxDeliveriesPerTenant: 10_000,
  random: Math.random,
  leaseMarginMs: 5000,
  pollIntervalMs: 500,
  relayGraceSeconds: 300,
  relayHeartbeatMs: 10_000,
});

/**
 * How long an attempt holds its delivery when its endpoint has no faults (a delay, a
 * duplicate): the timeout, and the margin past it.
 */
export function attemptLeaseMs(config: Pick<OutboxConfig, 'timeoutMs' | 'leaseMarginMs'>): number {
  return config.timeoutMs + config.leaseMarginMs;
}
