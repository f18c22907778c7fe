/**
 * A store outage in the log as an operator wants to read it: one line when it starts, one
 * when it ends with its duration, and at most one reminder a minute in between, however
 * many requests and outbox passes fail meanwhile. Fed by the store's observer.
 */
import type { Logger } from 'pino';
import type { StoreObserver } from '../store/records';

/** How often a continuing outage is mentioned again. */
export const OUTAGE_REMINDER_MS = 60_000;

export class OutageLog implements Pick<StoreObserver, 'answered' | 'failed'> {
  private startedAtMs: number | null = null;
  private remindedAtMs = 0;

  constructor(
    private readonly logger: Logger,
    /** Where the store is, as the log may name it (no credentials). */
    private readonly store: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether an outage is going on. */
  get down(): boolean {
    return this.startedAtMs !== null;
  }

  failed(cause: string): void {
    const nowMs = this.now();
    if (this.startedAtMs === null) {
      this.startedAtMs = nowMs;
      this.remindedAtMs = nowMs;
      this.logger.error({ store: this.store, cause }, 'store unreachable: requests answer 503 until it is back');
      return;
    }
    if (nowMs - this.remindedAtMs < OUTAGE_REMINDER_MS) return;
    this.remindedAtMs = nowMs;
    this.logger.error({ store: this.store, cause, down_ms: nowMs - this.startedAtMs }, 'store still unreachable');
  }

  answered(): void {
    if (this.startedAtMs === null) return;
    const downMs = this.now() - this.startedAtMs;
    this.startedAtMs = null;
    this.logger.warn({ store: this.store, down_ms: downMs }, `store reachable again after ${formatDuration(downMs)}`);
  }
}

/** 850 ms, 12.3 s, 4 min 05 s. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.floor(ms / 1000);
  return `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, '0')} s`;
}
