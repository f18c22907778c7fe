/** Real time as milliseconds since the epoch; injectable so tests can pin it. */
export type TimeSource = () => number;

/**
 * A tenant's clock: real time plus every advance made. It only moves forward, so slot
 * expiry and retries can be reached without waiting.
 */
export class TenantClock {
  private offsetMs = 0;
  constructor(private readonly realNow: TimeSource) {}

  now(): number {
    return this.realNow() + this.offsetMs;
  }

  advance(seconds: number): void {
    this.offsetMs += seconds * 1000;
  }

  get offsetSeconds(): number {
    return Math.floor(this.offsetMs / 1000);
  }

  /** Real milliseconds until the tenant's clock reaches `at`. */
  realDelayUntil(at: number): number {
    return Math.max(0, at - this.now());
  }
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
