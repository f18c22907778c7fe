/**
 * The webhook outbox: every job event of a tenant becomes one delivery per endpoint of
 * that tenant, queued in the same transaction as the event, signed twice (production's
 * InstaLeap-Signature and Standard Webhooks), sent at least once and in order per job and
 * endpoint, retried on the server's schedule on the tenant's clock, then dead-lettered.
 * Chains are independent, so one slow or dead endpoint never holds up another endpoint,
 * job or tenant. Every decision lives in the store: an attempt is made under a lease
 * (server/domain/store.ts), so among processes sharing a store each due delivery is
 * attempted by one at a time, and one that died mid-attempt is taken over once its lease
 * runs out. This process keeps only timers, connection pools and signers.
 */
import { createHmac } from 'node:crypto';
import type { Webhook } from 'standardwebhooks';
import type { Schemas } from '../../spec/contract';
import { clockNow, iso, realDelayUntil } from '../domain/clock';
import { DomainError } from '../domain/errors';
import { newId } from '../domain/ids';
import type { JobEvent, Sandbox } from '../domain/sandbox';
import type { ClockState, DeliveryRecord, EndpointRecord, Transaction } from '../domain/store';
import { DEFAULT_OUTBOX_CONFIG, type OutboxConfig } from './config';
import { chainKey, chainsOf, deliveryView, listDeliveries, remember, waitingFor, type DeliveryFilter } from './delivery-log';
import { createEndpoint, deleteEndpoint, finished, listEndpoints } from './endpoints';
import { EndpointCaches, sender, type Send } from './sender';
import { assertAllowedTarget, parseWebhookUrl } from './url-policy';

export { DEFAULT_OUTBOX_CONFIG, type OutboxConfig };

/** A delivery was created, attempted, retried or given up on. */
export type DeliveryListener = (tenantKey: string, delivery: Pick<DeliveryRecord, 'id' | 'job_id' | 'status' | 'attempts'>) => void;

type Enqueue = (tx: Transaction, events: readonly JobEvent[]) => Promise<void>;
type Signer = (caches: EndpointCaches, endpoint: EndpointRecord) => Webhook;

/**
 * Internal steps a test may wrap at construction, to break one rule on purpose
 * (test/mutants); each wrapper gets the step as built and returns its replacement.
 * `lastmile serve` passes none.
 */
export interface OutboxStepWrappers {
  enqueue?(original: Enqueue): Enqueue;
  signer?(original: Signer): Signer;
  send?(original: Send): Send;
}

interface Timer {
  handle: NodeJS.Timeout;
  dueMs: number;
}

function leaseHeld(delivery: DeliveryRecord, realNowMs: number, tenantNowMs: number): boolean {
  const lease = delivery.lease;
  return lease !== null && realNowMs <= lease.untilRealMs && tenantNowMs <= lease.untilTenantMs;
}

export class Outbox {
  readonly config: OutboxConfig;
  /** Names this process in the leases it takes. */
  private readonly owner = newId('proc');
  private readonly deliveryListeners: DeliveryListener[] = [];
  private readonly errorListeners: Array<(error: unknown) => void> = [];
  private readonly caches = new Map<string, EndpointCaches>();
  private readonly timers = new Map<string, Timer>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly poller: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly enqueue: Enqueue;
  private readonly signer: Signer;
  private readonly send: Send;

  constructor(private readonly sandbox: Sandbox, config: Partial<OutboxConfig> = {}, wrappers: OutboxStepWrappers = {}) {
    // A copy of the schedule: an instance must never share (and so change) another's.
    this.config = { ...DEFAULT_OUTBOX_CONFIG, ...config, retrySchedule: [...(config.retrySchedule ?? DEFAULT_OUTBOX_CONFIG.retrySchedule)] };
    const enqueue: Enqueue = (tx, events) => this.queueDeliveries(tx, events);
    const signer: Signer = (caches, endpoint) => caches.signer(endpoint);
    const send = sender(this.config);
    this.enqueue = wrappers.enqueue?.(enqueue) ?? enqueue;
    this.signer = wrappers.signer?.(signer) ?? signer;
    this.send = wrappers.send?.(send) ?? send;
    sandbox.onEventsInTransaction((tx, events) => this.enqueue(tx, events));
    sandbox.onClockMoved((key) => this.track(this.pump(key)));
    sandbox.store.onDrop((key) => this.forget(key));
    if (sandbox.store.shared) {
      // Another process may queue a delivery, or die holding one: look for due ones now and then.
      this.poller = setInterval(() => this.track(this.pumpAll()), this.config.pollIntervalMs);
      this.poller.unref();
    }
  }

  onDeliveryUpdate(listener: DeliveryListener): () => void {
    this.deliveryListeners.push(listener);
    return () => {
      const i = this.deliveryListeners.indexOf(listener);
      if (i >= 0) this.deliveryListeners.splice(i, 1);
    };
  }

  /** Failures of the background work (a store that went away): nothing a request waits for. */
  onError(listener: (error: unknown) => void): void {
    this.errorListeners.push(listener);
  }

  private notify(key: string, delivery: DeliveryRecord): void {
    for (const listener of this.deliveryListeners) listener(key, delivery);
  }

  private cachesOf(key: string): EndpointCaches {
    let caches = this.caches.get(key);
    if (!caches) {
      caches = new EndpointCaches();
      this.caches.set(key, caches);
    }
    return caches;
  }

  // ---- endpoints and the log ------------------------------------------------------------

  async createEndpoint(key: string, request: Schemas['CreateWebhookEndpointRequest']): Promise<Schemas['WebhookEndpointWithSecret']> {
    const url = parseWebhookUrl(request.url);
    await assertAllowedTarget(url, this.config.allowPrivate);
    const endpoint = await this.sandbox.store.transact(key, (tx) => createEndpoint(tx, url, request.secret, this.config.maxEndpointsPerTenant));
    return { ...endpoint };
  }

  listEndpoints(key: string): Promise<Schemas['WebhookEndpoint'][]> {
    return this.sandbox.store.transact(key, listEndpoints);
  }

  deleteEndpoint(key: string, endpointId: string): Promise<void> {
    return this.sandbox.store.transact(key, async (tx) => {
      await deleteEndpoint(tx, endpointId);
      tx.afterCommit(() => this.caches.get(key)?.forget(endpointId));
    });
  }

  listDeliveries(key: string, filter: DeliveryFilter = {}): Promise<Schemas['WebhookDelivery'][]> {
    return this.sandbox.store.transact(key, (tx) => listDeliveries(tx, filter));
  }

  /**
   * One more attempt now. A pending delivery keeps its place in its chain (one waiting
   * behind another stays waiting); a finished one is sent once more, outside its chain.
   */
  retryDelivery(key: string, deliveryId: string): Promise<Schemas['WebhookDelivery']> {
    return this.sandbox.store.transact(key, async (tx) => {
      const delivery = await tx.deliveries.get(deliveryId);
      if (!delivery) throw new DomainError('WEBHOOK_DELIVERY_NOT_FOUND', `Webhook delivery ${deliveryId} not found`);
      if (!(await tx.endpoints.get(delivery.endpoint_id))) {
        throw new DomainError('WEBHOOK_ENDPOINT_DELETED', `Webhook endpoint ${delivery.endpoint_id} of delivery ${deliveryId} was deleted`);
      }
      const nowMs = clockNow(await tx.clock(), tx.realNowMs);
      const chains = chainsOf(await tx.deliveries.pending());
      if (delivery.status === 'PENDING') {
        const waiting = waitingFor(chains, delivery);
        if (waiting !== undefined || delivery.nextAttemptAtMs === null) return deliveryView(delivery, waiting);
        const brought: DeliveryRecord = { ...delivery, nextAttemptAtMs: Math.min(delivery.nextAttemptAtMs, nowMs) };
        tx.deliveries.put(brought);
        tx.afterCommit(() => this.track(this.pump(key)));
        return deliveryView(brought);
      }
      const again: DeliveryRecord = { ...delivery, status: 'PENDING', nextAttemptAtMs: nowMs, outsideChain: true, lease: null };
      tx.deliveries.put(again);
      tx.afterCommit(() => this.track(this.attempt(key, deliveryId)));
      return deliveryView(again);
    });
  }

  // ---- queueing and scheduling ----------------------------------------------------------

  /** The `enqueue` step as built: one delivery per endpoint for each event, in the event's transaction. */
  private async queueDeliveries(tx: Transaction, events: readonly JobEvent[]): Promise<void> {
    if (this.stopped) return;
    const endpoints: EndpointRecord[] = [];
    for await (const endpoint of tx.endpoints.list('oldest')) endpoints.push(endpoint);
    if (endpoints.length === 0) return;
    const queuedChains = new Set(chainsOf(await tx.deliveries.pending()).keys());
    const nowMs = clockNow(await tx.clock(), tx.realNowMs);
    const created: DeliveryRecord[] = [];
    for (const event of events) {
      const payloadText = JSON.stringify(event);
      for (const endpoint of endpoints) {
        const delivery: DeliveryRecord = {
          id: newId('whd'),
          endpoint_id: endpoint.id,
          url: endpoint.url,
          event_id: event.id,
          event_type: event.type,
          job_id: event.job.id,
          status: 'PENDING',
          attempts: [],
          nextAttemptAtMs: queuedChains.has(chainKey({ endpoint_id: endpoint.id, job_id: event.job.id })) ? null : nowMs,
          created_at: event.created_at,
          payloadText,
          instaLeapSignature: createHmac('sha256', endpoint.secret).update(`${event.id}&${event.created_at}&${event.type}`).digest('hex'),
          lease: null,
        };
        queuedChains.add(chainKey(delivery));
        await remember(tx, delivery, this.config.maxDeliveriesPerTenant);
        created.push(delivery);
      }
    }
    tx.afterCommit(() => {
      for (const delivery of created) this.notify(tx.tenantKey, delivery);
      this.track(this.pump(tx.tenantKey));
    });
  }

  /** Attempts every chain head that is due and not held, and sets the timer for the next one. */
  async pump(key: string): Promise<void> {
    if (this.stopped) return;
    const plan = await this.sandbox.store.transact(key, async (tx) => {
      const clock = await tx.clock();
      const nowMs = clockNow(clock, tx.realNowMs);
      const due: string[] = [];
      let nextDueMs = Infinity;
      const pending = await tx.deliveries.pending();
      const heads = [...chainsOf(pending).values()].map((chain) => chain[0]).concat(pending.filter((d) => d.outsideChain));
      for (const head of heads) {
        if (head.nextAttemptAtMs === null || leaseHeld(head, tx.realNowMs, nowMs)) continue;
        if (head.nextAttemptAtMs <= nowMs) due.push(head.id);
        else nextDueMs = Math.min(nextDueMs, head.nextAttemptAtMs);
      }
      return { due, nextDueMs, clock, realNowMs: tx.realNowMs };
    }, { existingOnly: true });
    if (!plan) return;
    for (const id of plan.due) this.track(this.attempt(key, id));
    this.arm(key, plan.nextDueMs, plan.clock, plan.realNowMs);
  }

  private async pumpAll(): Promise<void> {
    if (this.stopped) return;
    for (const key of await this.sandbox.store.tenantsWithPendingDeliveries()) await this.pump(key);
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
      this.track(this.pump(key));
    }, delayMs);
    handle.unref();
    this.timers.set(key, { handle, dueMs });
  }

  /**
   * One attempt: take the lease, send, then record the outcome, which counts only while
   * the lease is still ours. `force`: the last try at shutdown, due or not.
   */
  private async attempt(key: string, deliveryId: string, force = false): Promise<void> {
    const token = newId('lease');
    const leaseMs = this.config.timeoutMs + this.config.leaseMarginMs;
    const taken = await this.sandbox.store.transact(key, async (tx) => {
      const delivery = await tx.deliveries.get(deliveryId);
      if (!delivery || delivery.status !== 'PENDING') return undefined;
      const nowMs = clockNow(await tx.clock(), tx.realNowMs);
      if (leaseHeld(delivery, tx.realNowMs, nowMs)) return undefined;
      if (!force && (delivery.nextAttemptAtMs === null || delivery.nextAttemptAtMs > nowMs)) return undefined;
      if (!delivery.outsideChain && chainsOf(await tx.deliveries.pending()).get(chainKey(delivery))?.[0].id !== deliveryId) return undefined;
      const endpoint = await tx.endpoints.get(delivery.endpoint_id);
      if (!endpoint) return undefined;
      tx.deliveries.put({ ...delivery, lease: { owner: this.owner, token, untilRealMs: tx.realNowMs + leaseMs, untilTenantMs: nowMs + leaseMs } });
      return { delivery, endpoint, atMs: nowMs };
    }, { existingOnly: true });
    if (!taken) return;
    const { delivery, endpoint, atMs } = taken;
    const caches = this.cachesOf(key);
    const started = performance.now();
    const timestamp = new Date();
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'lastmile-sandbox-webhooks/1',
      'InstaLeap-Signature': delivery.instaLeapSignature,
      'webhook-id': delivery.event_id,
      'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
      'webhook-signature': this.signer(caches, endpoint).sign(delivery.event_id, timestamp, delivery.payloadText),
    };
    const outcome = await this.send(delivery.url, caches.agent(endpoint), headers, delivery.payloadText);
    const attempt = { at: iso(atMs), latency_ms: Math.round((performance.now() - started) * 100) / 100, ...outcome.attempt };
    await this.sandbox.store.transact(key, async (tx) => {
      const current = await tx.deliveries.get(deliveryId);
      if (!current || current.lease?.token !== token) return;
      let next: DeliveryRecord = { ...current, attempts: [...current.attempts, attempt], lease: null };
      if (outcome.responseBody !== undefined) next.last_response_body = outcome.responseBody;
      const wait = this.config.retrySchedule[next.attempts.length - 1];
      if (outcome.ok) next = finished(next, 'SUCCEEDED');
      else if (current.outsideChain || wait === undefined) next = finished(next, 'DEAD_LETTERED');
      else {
        const jitter = 1 + this.config.retryJitter * (2 * this.config.random() - 1);
        next.nextAttemptAtMs = atMs + Math.round(wait * 1000 * jitter);
      }
      tx.deliveries.put(next);
      const clock = await tx.clock();
      const nowMs = clockNow(clock, tx.realNowMs);
      let head: DeliveryRecord | undefined = next.status === 'PENDING' ? next : undefined;
      if (!head && !current.outsideChain) {
        // The delivery that waited behind the one just settled is due as it reaches the head.
        head = chainsOf(await tx.deliveries.pending()).get(chainKey(current))?.[0];
        if (head && head.nextAttemptAtMs === null) {
          head = { ...head, nextAttemptAtMs: nowMs };
          tx.deliveries.put(head);
        }
      }
      tx.afterCommit(() => {
        this.notify(key, next);
        // Only this chain changed: send its head if due, or wake up when it is. A full scan
        // here would make every settled delivery cost as much as all pending chains together.
        if (!head || this.stopped || head.nextAttemptAtMs === null) return;
        if (head.nextAttemptAtMs <= nowMs) this.track(this.attempt(key, head.id));
        else this.arm(key, head.nextAttemptAtMs, clock, tx.realNowMs);
      });
    }, { existingOnly: true });
  }

  private track(work: Promise<void>): void {
    const tracked = work.catch((error) => {
      for (const listener of this.errorListeners) listener(error);
    });
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
  }

  // ---- lifecycle ----------------------------------------------------------------------

  /** A reset or evicted tenant: no more timers, no more pooled connections. */
  private forget(key: string): void {
    const timer = this.timers.get(key);
    if (timer) clearTimeout(timer.handle);
    this.timers.delete(key);
    this.caches.get(key)?.forgetAll();
    this.caches.delete(key);
  }

  /** Resolves once nothing is in flight. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /**
   * Stops scheduling; gives every pending head one bounded last try, and returns how many
   * deliveries remain undelivered.
   */
  async shutdown(graceMs: number): Promise<{ undelivered: number }> {
    if (this.poller) clearInterval(this.poller);
    for (const timer of this.timers.values()) clearTimeout(timer.handle);
    this.timers.clear();
    const store = this.sandbox.store;
    const pending: Array<[string, string]> = [];
    for (const key of await store.tenantsWithPendingDeliveries()) {
      const deliveries = await store.transact(key, (tx) => tx.deliveries.pending(), { existingOnly: true }) ?? [];
      for (const d of deliveries) pending.push([key, d.id]);
      for (const chain of chainsOf(deliveries).values()) this.track(this.attempt(key, chain[0].id, true));
    }
    this.stopped = true;
    await Promise.race([this.idle(), new Promise((r) => setTimeout(r, graceMs).unref())]);
    for (const caches of this.caches.values()) caches.forgetAll();
    let undelivered = 0;
    for (const [key, id] of pending) {
      const status = await store.transact(key, async (tx) => (await tx.deliveries.get(id))?.status, { existingOnly: true });
      if (status !== 'SUCCEEDED') undelivered += 1;
    }
    return { undelivered };
  }
}
