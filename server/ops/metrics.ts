/**
 * The server's metrics in the Prometheus text format (prom-client), for `GET /metrics` when
 * `--metrics` is on. Label values are bounded: an operation id of the spec (or `other`), an
 * HTTP status, a webhook outcome; never a tenant, a key or a path.
 */
import type express from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { clockNow } from '../domain/clock';
import type { Store, StoreObserver } from '../store/records';
import type { DeliveryUpdates } from '../live-events';

/** What a request outside the spec's operations (the console, the docs, a 404) is counted as. */
export const OTHER_OPERATION = 'other';

/** Tenants read at once while the outbox's backlog is counted for a scrape. */
const BACKLOG_READS_AT_ONCE = 16;

export type WebhookOutcome = 'succeeded' | 'failed' | 'dead_lettered';

export class ServerMetrics {
  readonly registry = new Registry();
  /** Hand this to the store: it counts round trips, errors, conflicts and re-runs. */
  readonly storeObserver: Required<StoreObserver>;
  private readonly requests: Counter<'operation' | 'status'>;
  private readonly latency: Histogram<'operation'>;
  private readonly webhookAttempts: Counter<'outcome'>;
  private readonly backlog: Gauge;
  private readonly oldestDue: Gauge;
  private readonly tenants: Gauge;
  private store: Store | null = null;

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: 'lastmile_http_requests_total',
      help: 'HTTP requests answered, by operation id and status',
      labelNames: ['operation', 'status'],
      registers,
    });
    this.latency = new Histogram({
      name: 'lastmile_http_request_duration_seconds',
      help: 'Time to answer a request, by operation id',
      labelNames: ['operation'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.webhookAttempts = new Counter({
      name: 'lastmile_webhook_attempts_total',
      help: 'Webhook attempts made by this instance, by outcome (failed: a retry follows)',
      labelNames: ['outcome'],
      registers,
    });
    for (const outcome of ['succeeded', 'failed', 'dead_lettered'] as const) this.webhookAttempts.inc({ outcome }, 0);
    this.backlog = new Gauge({
      name: 'lastmile_outbox_pending_deliveries',
      help: 'Webhook deliveries not yet settled, every tenant of the store (absent while the store is unreachable)',
      registers,
    });
    this.oldestDue = new Gauge({
      name: 'lastmile_outbox_oldest_due_age_seconds',
      help: 'How long the longest-waiting due delivery has been due, on its tenant clock (0: none overdue)',
      registers,
    });
    this.tenants = new Gauge({
      name: 'lastmile_active_tenants',
      help: 'Tenants the store holds (with Redis: written within --tenant-ttl)',
      registers,
    });
    const roundTrips = new Counter({
      name: 'lastmile_store_round_trips_total',
      help: 'Round trips to the store server, answered or not',
      registers,
    });
    const errors = new Counter({
      name: 'lastmile_store_errors_total',
      help: 'Round trips to the store server that failed (unreachable, refused)',
      registers,
    });
    const conflicts = new Counter({
      name: 'lastmile_store_conflicts_total',
      help: 'Commits that found something they read changed since',
      registers,
    });
    const reruns = new Counter({
      name: 'lastmile_store_reruns_total',
      help: 'Transactions run again after a conflict',
      registers,
    });
    this.storeObserver = {
      answered: () => roundTrips.inc(),
      failed: () => {
        roundTrips.inc();
        errors.inc();
      },
      conflict: () => conflicts.inc(),
      rerun: () => reruns.inc(),
    };
  }

  /** Counts the attempts this instance's outbox makes, and reads the store's figures at each scrape. */
  watch(store: Store, outbox: DeliveryUpdates): void {
    this.store = store;
    outbox.onDeliveryUpdate((_tenant, delivery) => {
      // Updates with no attempt are deliveries just queued.
      if (delivery.attempts.length === 0) return;
      this.webhookAttempts.inc({
        outcome:
          delivery.status === 'SUCCEEDED'
            ? 'succeeded'
            : delivery.status === 'DEAD_LETTERED'
              ? 'dead_lettered'
              : 'failed',
      });
    });
  }

  /** One answered request; `operation` null when it was none of the spec's. */
  observeRequest(operation: string | null, status: number, seconds: number): void {
    const label = operation ?? OTHER_OPERATION;
    this.requests.inc({ operation: label, status: String(status) });
    this.latency.observe({ operation: label }, seconds);
  }

  /** `GET /metrics`, for Prometheus. */
  mount(app: express.Express): void {
    app.get('/metrics', (_req, res, next) => {
      this.text().then((text) => {
        res.setHeader('content-type', this.registry.contentType);
        res.setHeader('cache-control', 'no-store');
        res.end(text);
      }, next);
    });
  }

  /** The text of one scrape: the counters as they stand, the store's figures read now. */
  async text(): Promise<string> {
    await Promise.all([this.readTenants(), this.readBacklog()]);
    return this.registry.metrics();
  }

  private async readTenants(): Promise<void> {
    if (!this.store) return;
    try {
      this.tenants.set((await this.store.tenantKeys()).length);
    } catch {
      this.tenants.reset(); // unknown while the store is away: absent rather than stale
    }
  }

  private async readBacklog(): Promise<void> {
    if (!this.store) return;
    try {
      const keys = await this.store.tenantsWithPendingDeliveries();
      let pending = 0;
      let oldestDueMs = 0;
      for (let i = 0; i < keys.length; i += BACKLOG_READS_AT_ONCE) {
        const tenants = await Promise.all(
          keys.slice(i, i + BACKLOG_READS_AT_ONCE).map((key) => this.tenantBacklog(key)),
        );
        for (const tenant of tenants) {
          pending += tenant.pending;
          oldestDueMs = Math.max(oldestDueMs, tenant.oldestDueMs);
        }
      }
      this.backlog.set(pending);
      this.oldestDue.set(oldestDueMs / 1000);
    } catch {
      this.backlog.reset();
      this.oldestDue.reset();
    }
  }

  private async tenantBacklog(key: string): Promise<{ pending: number; oldestDueMs: number }> {
    const found = await this.store!.transact(
      key,
      async (tx) => {
        const nowMs = clockNow(await tx.clock(), tx.realNowMs);
        const deliveries = await tx.pendingDeliveries.all();
        let oldestDueMs = 0;
        for (const d of deliveries)
          if (d.nextAttemptAtMs !== null && d.nextAttemptAtMs <= nowMs)
            oldestDueMs = Math.max(oldestDueMs, nowMs - d.nextAttemptAtMs);
        return { pending: deliveries.length, oldestDueMs };
      },
      { existingOnly: true },
    );
    return found ?? { pending: 0, oldestDueMs: 0 };
  }
}
