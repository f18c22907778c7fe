/**
 * When and by whom each delivery is attempted. A chain's head is attempted once due on its
 * tenant's clock, under a lease taken in the store; the outcome counts only while that
 * lease is still the one stored, and settles the next attempt or the next head.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { webhookHeaders } from '../../spec/contract';
import { clockNow, iso, realDelayUntil } from '../domain/clock';
import { newId } from '../domain/ids';
import type { ClockState, TransactOptions } from '../domain/store';
import { attemptLeaseMs, type OutboxConfig } from './config';
import { chainHead, chainsOf } from './delivery-log';
import { deleteEndpoint, finished } from './endpoints';
import type {
  DeliveryRecord,
  EndpointRecord,
  WebhookRecords,
  WebhookStore,
  WebhookTransaction as Transaction,
} from './records';
import { relayConnected, relayExpired, type RelayHub } from './relay';
import type { EndpointCachePool, Send, SendOutcome } from './sender';

/** What the scheduler works with: each a part of the outbox, none the outbox itself. */
export interface SchedulerParts {
  readonly store: WebhookStore;
  readonly config: OutboxConfig;
  /** The transport: one attempt over the wire. */
  readonly send: Send;
  readonly caches: EndpointCachePool;
  /** Where attempts to relay endpoints go. */
  readonly relays: RelayHub;
  /** Shutting down: nothing more is scheduled. */
  stopped(): boolean;
}

/** A delivery was created, attempted, retried or given up on. */
export type DeliveryListener = (
  tenantKey: string,
  delivery: Pick<DeliveryRecord, 'id' | 'job_id' | 'status' | 'attempts'>,
) => void;

/** One attempt made, with the delivery as it stands after it (retried, succeeded or dead-lettered). */
export type AttemptListener = (
  tenantKey: string,
  delivery: DeliveryRecord,
  attempt: DeliveryRecord['attempts'][number],
) => void;

/** Background work (attempts, pumps): nothing a request waits for, but what shutting down waits for. */
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

/** A delivery this process holds the lease on, and what sending it needs. */
interface Taken {
  delivery: DeliveryRecord;
  endpoint: EndpointRecord;
  /** The tenant's time as the lease was taken: the attempt's time in the log. */
  atMs: number;
  /** The stream that holds a relay endpoint, when one does. */
  relayHolder: string | null;
  token: string;
}

/** What a transaction on one delivery reads, named up front: the delivery, and its job's pending ones (its chain). */
function reads(delivery: Pick<DeliveryRecord, 'id' | 'job_id'>): TransactOptions<WebhookRecords> {
  return { prefetch: { deliveries: [delivery.id] }, pendingOfJobs: [delivery.job_id] };
}

interface Timer {
  handle: NodeJS.Timeout;
  dueMs: number;
}

function leaseHeld(delivery: DeliveryRecord, realNowMs: number, tenantNowMs: number): boolean {
  const lease = delivery.lease;
  return lease !== null && realNowMs <= lease.untilRealMs && tenantNowMs <= lease.untilTenantMs;
}

export class DeliveryScheduler {
  /** Names this process in the leases it takes. */
  private readonly owner = newId('proc');
  private readonly timers = new Map<string, Timer>();
  /** The pass over due tenants under way, if any. */
  private pass: Promise<void> | null = null;
  /** What the outbox waits for when idle or shutting down. */
  readonly work = new BackgroundWork();
  private readonly listeners: DeliveryListener[] = [];
  private readonly attemptListeners: AttemptListener[] = [];

  constructor(private readonly parts: SchedulerParts) {}

  onDeliveryUpdate(listener: DeliveryListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  onAttempt(listener: AttemptListener): void {
    this.attemptListeners.push(listener);
  }

  private notify(key: string, delivery: DeliveryRecord): void {
    for (const listener of this.listeners) listener(key, delivery);
  }

  /**
   * Deliveries just committed: told, and the chain heads among them sent at once. Only they
   * can be due: sending them directly spares a scan of every pending chain of the tenant.
   */
  queued(key: string, created: readonly DeliveryRecord[]): void {
    for (const delivery of created) this.notify(key, delivery);
    for (const delivery of created) if (delivery.nextAttemptAtMs !== null) this.work.track(this.attempt(key, delivery));
  }

  /** Attempts every chain head that is due and not held, and sets the timer for the next one. */
  async pump(key: string): Promise<void> {
    if (this.parts.stopped()) return;
    const plan = await this.parts.store.transact(
      key,
      async (tx) => {
        const clock = await tx.clock();
        const nowMs = clockNow(clock, tx.realNowMs);
        const due: DeliveryRecord[] = [];
        let nextDueMs = Infinity;
        /** When any head may next be due, in real time: a held lease's end counts, as its holder may die. */
        let nextRealMs = Infinity;
        const pending = await tx.pendingDeliveries.all();
        const heads = [...chainsOf(pending).values()]
          .map((chain) => chain[0])
          .concat(pending.filter((d) => d.outsideChain));
        for (const head of heads) {
          if (head.nextAttemptAtMs === null) continue;
          if (leaseHeld(head, tx.realNowMs, nowMs)) {
            nextRealMs = Math.min(nextRealMs, head.lease!.untilRealMs);
            continue;
          }
          if (head.nextAttemptAtMs <= nowMs) due.push(head);
          else nextDueMs = Math.min(nextDueMs, head.nextAttemptAtMs);
        }
        // The attempts about to be made mark the tenant due again as they commit their outcome.
        nextRealMs = Math.min(nextRealMs, tx.realNowMs + realDelayUntil(clock, tx.realNowMs, nextDueMs));
        tx.pendingDeliveries.nextDueAt(Number.isFinite(nextRealMs) ? nextRealMs : null);
        return { due, nextDueMs, clock, realNowMs: tx.realNowMs };
      },
      { existingOnly: true },
    );
    if (!plan) return;
    for (const delivery of plan.due) this.work.track(this.attempt(key, delivery));
    this.arm(key, plan.nextDueMs, plan.clock, plan.realNowMs);
  }

  /**
   * Pumps every tenant the store names as due, one pass at a time: a pass slower than the
   * poll interval (a backlog, a slow store) is not joined by another over the same tenants,
   * which would slow both and make the next pass slower still.
   */
  pumpAll(): Promise<void> {
    this.pass ??= this.pumpDue().finally(() => {
      this.pass = null;
    });
    return this.pass;
  }

  private async pumpDue(): Promise<void> {
    if (this.parts.stopped()) return;
    for (const key of await this.parts.store.dueTenants()) await this.pump(key);
  }

  private arm(key: string, dueMs: number, clock: ClockState, realNowMs: number): void {
    const current = this.timers.get(key);
    if (dueMs === Infinity || (current && current.dueMs <= dueMs)) return;
    const delayMs = realDelayUntil(clock, realNowMs, dueMs);
    // A frozen clock reaches nothing by itself: advancing or unfreezing it pumps again.
    if (delayMs === Infinity) return;
    if (current) clearTimeout(current.handle);
    const handle = setTimeout(() => {
      this.timers.delete(key);
      this.work.track(this.pump(key));
    }, delayMs);
    handle.unref();
    this.timers.set(key, { handle, dueMs });
  }

  /**
   * One attempt: take the lease, send, then record the outcome, which counts only while
   * the lease is still ours. `force`: the last try at shutdown, due or not.
   */
  async attempt(key: string, target: Pick<DeliveryRecord, 'id' | 'job_id'>, force = false): Promise<void> {
    let taken = await this.parts.store.transact(
      key,
      async (tx) => {
        const delivery = await tx.deliveries.get(target.id);
        if (!delivery) return undefined;
        return this.take(tx, key, delivery, clockNow(await tx.clock(), tx.realNowMs), { force });
      },
      { existingOnly: true, ...reads(target) },
    );
    // Each outcome's commit takes the lease on the delivery behind it when that one is due at
    // once, as a chain's next event is: one transaction per delivery, not one to take and one to settle.
    while (taken) taken = await this.deliver(key, taken);
  }

  /**
   * Inside a transaction: the lease on `delivery` for this process, when it may be attempted
   * now (pending, not held, due or `force`d, the head of its chain: `head` when the caller
   * knows it is), with what sending it needs; undefined when it may not.
   */
  private async take(
    tx: Transaction,
    key: string,
    delivery: DeliveryRecord,
    nowMs: number,
    { force = false, head = false }: { force?: boolean; head?: boolean } = {},
  ): Promise<Taken | undefined> {
    if (delivery.status !== 'PENDING' || leaseHeld(delivery, tx.realNowMs, nowMs)) return undefined;
    if (!force && (delivery.nextAttemptAtMs === null || delivery.nextAttemptAtMs > nowMs)) return undefined;
    if (!head && !delivery.outsideChain && (await chainHead(tx, delivery))?.id !== delivery.id) return undefined;
    const endpoint = await tx.endpoints.get(delivery.endpoint_id);
    if (!endpoint) return undefined;
    if (endpoint.relay && relayExpired(endpoint.relay, tx.realNowMs, nowMs, this.parts.config)) {
      // No stream came back within the grace period: the relay goes, its pending deliveries are dead-lettered.
      await deleteEndpoint(tx, endpoint.id);
      tx.afterCommit(() => this.parts.caches.forgetEndpoint(key, endpoint.id));
      return undefined;
    }
    // An endpoint's faults lengthen an attempt (a delay, a second send): its lease covers them.
    const leaseMs =
      attemptLeaseMs(this.parts.config) +
      (endpoint.duplicate ? this.parts.config.timeoutMs : 0) +
      (endpoint.delay_ms ?? 0);
    const token = newId('lease');
    tx.deliveries.put({
      ...delivery,
      lease: { owner: this.owner, token, untilRealMs: tx.realNowMs + leaseMs, untilTenantMs: nowMs + leaseMs },
    });
    const relayHolder =
      endpoint.relay && relayConnected(endpoint.relay, tx.realNowMs, this.parts.config.relayHeartbeatMs)
        ? endpoint.relay.holder
        : null;
    return { delivery, endpoint, atMs: nowMs, relayHolder, token };
  }

  /** Sends a delivery taken, and records the outcome; answers the delivery behind it when that commit took it too. */
  private async deliver(key: string, taken: Taken): Promise<Taken | undefined> {
    const { delivery, endpoint, atMs, relayHolder, token } = taken;
    const deliveryId = delivery.id;
    const caches = this.parts.caches.of(key);
    // Held back inside the attempt, under its lease: the chain behind it waits, so order holds.
    if (endpoint.delay_ms) await sleep(endpoint.delay_ms);
    const started = performance.now();
    const headers = webhookHeaders(caches.signer(endpoint), { ...delivery, eventId: delivery.event_id }, new Date());
    let outcome: SendOutcome;
    let sent = true;
    if (!endpoint.relay) {
      outcome = await this.parts.send(delivery.url, caches.agent(endpoint), headers, delivery.payloadText);
      // At-least-once made visible: the same delivery again, same webhook-id and signature.
      if (endpoint.duplicate)
        await this.parts.send(delivery.url, caches.agent(endpoint), headers, delivery.payloadText);
    } else if (relayHolder === null) {
      sent = false;
      outcome = { ok: false, attempt: { error: 'relay not connected: no stream holds it (lastmile listen)' } };
    } else {
      const relayed = { delivery_id: delivery.id, event_type: delivery.event_type, job_id: delivery.job_id };
      outcome = await this.parts.relays.send(
        endpoint,
        relayHolder,
        { ...relayed, headers, body: delivery.payloadText },
        this.parts.config.timeoutMs,
      );
    }
    const attempt: DeliveryRecord['attempts'][number] = {
      at: iso(atMs),
      latency_ms: Math.round((performance.now() - started) * 100) / 100,
      ...(sent ? { request_headers: headers } : {}),
      ...outcome.attempt,
    };
    return this.parts.store.transact(
      key,
      async (tx) => {
        const current = await tx.deliveries.get(deliveryId);
        if (!current || current.lease?.token !== token) return undefined;
        let next: DeliveryRecord = { ...current, attempts: [...current.attempts, attempt], lease: null };
        if (outcome.responseBody !== undefined) next.last_response_body = outcome.responseBody;
        const wait = this.parts.config.retrySchedule[next.attempts.length - 1];
        if (outcome.ok) next = finished(next, 'SUCCEEDED');
        else if (current.outsideChain || wait === undefined) next = finished(next, 'DEAD_LETTERED');
        else {
          const jitter = 1 + this.parts.config.retryJitter * (2 * this.parts.config.random() - 1);
          // To the microsecond: a jittered wait is no whole number of milliseconds, and the
          // log writes it at the precision it has (RFC 3339 allows any fraction).
          next.nextAttemptAtMs = atMs + Math.round(wait * 1_000_000 * jitter) / 1000;
        }
        tx.deliveries.put(next);
        const clock = await tx.clock();
        const nowMs = clockNow(clock, tx.realNowMs);
        let head: DeliveryRecord | undefined = next.status === 'PENDING' ? next : undefined;
        if (!head && !current.outsideChain) {
          // The delivery that waited behind the one just settled is due as it reaches the head.
          head = await chainHead(tx, current);
          if (head && head.nextAttemptAtMs === null) {
            tx.deliveries.put({ ...head, nextAttemptAtMs: nowMs });
            // As the transaction now holds it: whether it is due is decided on what is stored.
            head = await tx.deliveries.get(head.id);
          }
        }
        const following =
          head && head !== next && !this.parts.stopped()
            ? await this.take(tx, key, head, nowMs, { head: true })
            : undefined;
        tx.afterCommit(() => {
          for (const listener of this.attemptListeners) listener(key, next, attempt);
          this.notify(key, next);
          // Only this chain changed: its head is sent now (taken above), or woken up when due. A
          // full scan here would make every settled delivery cost as much as all pending chains together.
          if (following || !head || this.parts.stopped() || head.nextAttemptAtMs === null) return;
          if (head.nextAttemptAtMs <= nowMs) this.work.track(this.attempt(key, head));
          else this.arm(key, head.nextAttemptAtMs, clock, tx.realNowMs);
        });
        return following;
      },
      { existingOnly: true, ...reads(delivery) },
    );
  }

  /** Clears the timer of one tenant, or of all. */
  disarm(key?: string): void {
    for (const [k, timer] of this.timers) {
      if (key !== undefined && k !== key) continue;
      clearTimeout(timer.handle);
      this.timers.delete(k);
    }
  }
}
