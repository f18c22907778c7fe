/** Real time as milliseconds since the epoch; injectable so tests can pin it. */
export type TimeSource = () => number;

/**
 * A tenant's clock: real time plus every advance made. It only moves forward, so slot
 * expiry and retries can be reached without waiting. Frozen, it stands still and moves
 * only when advanced; unfrozen, it runs on from where it stood (the pause is absorbed
 * into the offset, so it never jumps).
 */
export class TenantClock {
  private offsetMs = 0;
  /** The instant the clock stands at while frozen; null while it runs. */
  private frozenAtMs: number | null = null;
  constructor(private readonly realNow: TimeSource) {}

  now(): number {
    return this.frozenAtMs ?? this.realNow() + this.offsetMs;
  }

  advance(seconds: number): void {
    this.offsetMs += seconds * 1000;
    if (this.frozenAtMs !== null) this.frozenAtMs += seconds * 1000;
  }

  get frozen(): boolean {
    return this.frozenAtMs !== null;
  }

  freeze(): void {
    this.frozenAtMs ??= this.now();
  }

  unfreeze(): void {
    if (this.frozenAtMs === null) return;
    this.offsetMs = this.frozenAtMs - this.realNow();
    this.frozenAtMs = null;
  }

  /**
   * How far the clock is ahead of real time; while frozen, how far it was when frozen plus
   * every advance since. Below zero once a freeze lasted longer than the advances made.
   */
  get offsetSeconds(): number {
    return Math.floor(this.offsetMs / 1000);
  }

  /** Real milliseconds until the tenant's clock reaches `at`; never, while frozen. */
  realDelayUntil(at: number): number {
    if (this.frozenAtMs !== null) return at <= this.frozenAtMs ? 0 : Infinity;
    return Math.max(0, at - this.now());
  }
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
