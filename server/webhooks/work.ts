/** Background work of the outbox (attempts, pumps): nothing a request waits for, but what shutting down waits for. */
export class BackgroundWork {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly errorListeners: Array<(error: unknown) => void> = [];

  track(work: Promise<void>): void {
    const tracked = work.catch((error) => this.fail(error));
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
  }

  /** Failures of the background work (a store that went away). */
  onError(listener: (error: unknown) => void): void {
    this.errorListeners.push(listener);
  }

  fail(error: unknown): void {
    for (const listener of this.errorListeners) listener(error);
  }

  /** Resolves once nothing is in flight. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }
}
