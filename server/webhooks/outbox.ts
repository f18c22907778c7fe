/**
 * The webhook outbox: every job event of a tenant becomes one delivery per endpoint of
 * that tenant, queued in the same transaction as the event, signed twice (production's
 * InstaLeap-Signature and Standard Webhooks), sent at least once and in order per job and
 * endpoint, retried on the server's schedule on the tenant's clock, then dead-lettered.
 * Chains are independent, so one slow or dead endpoint never holds up another endpoint,
 * job or tenant. Every decision lives in the store: an attempt is made under a lease
 * (server/webhooks/records.ts), so among processes sharing a store each due delivery is
 * attempted by one at a time, and one that died mid-attempt is taken over once its lease
 * runs out. This process keeps only timers, connection pools and signers.
 *
 * It is wired in server/main.ts: the application layer hands it each operation's job
 * events inside their transaction (`enqueue`) and tells it when a clock moved; the store
 * tells it which tenants it forgot.
 */
import { instaLeapSignature, webhookPayloadText, type Schemas } from '../../spec/contract';
import { clockNow } from '../domain/clock';
import { DomainError } from '../domain/errors';
import { newId } from '../domain/ids';
import type { JobEvent } from '../domain/operation';
import { DEFAULT_OUTBOX_CONFIG, type OutboxConfig } from './config';
import {
  chainKey,
  chainsOf,
  deliveryView,
  listDeliveries,
  remember,
  waitingFor,
  type DeliveryFilter,
} from './delivery-log';
import { createEndpoint, deleteEndpoint, expireRelays, listEndpoints, updateEndpoint } from './endpoints';
import type { DeliveryRecord, EndpointRecord, WebhookStore, WebhookTransaction } from './records';
import { LocalRelayBus, RelayHub, type RelayBus } from './relay';
import { DeliveryScheduler, type AttemptListener, type DeliveryListener } from './scheduler';
import { EndpointCachePool, sender, type Send } from './sender';
import { assertAllowedTarget, parseWebhookUrl } from './url-policy';

export { DEFAULT_OUTBOX_CONFIG, type OutboxConfig };

export type { AttemptListener, DeliveryListener } from './scheduler';

export interface OutboxOptions {
  /**
   * The transport: how one attempt goes over the wire (a recording transport, a proxy, a
   * fault injected). Default: HTTP(S) as server/webhooks/sender.ts sends it.
   */
  send?: Send;
  /** How relay messages reach the other instances; default: this process only. */
  relayBus?: RelayBus;
}

export class Outbox {
  readonly config: OutboxConfig;
  private readonly caches = new EndpointCachePool();
  private readonly poller: NodeJS.Timeout | null = null;
  private shuttingDown = false;
  private readonly scheduler: DeliveryScheduler;
  /** This instance's relay streams and the relayed attempts it waits on. */
  readonly relays: RelayHub;

  constructor(
    private readonly store: WebhookStore,
    config: Partial<OutboxConfig> = {},
    options: OutboxOptions = {},
  ) {
    // A copy of the schedule: an instance must never share (and so change) another's.
    this.config = {
      ...DEFAULT_OUTBOX_CONFIG,
      ...config,
      retrySchedule: [...(config.retrySchedule ?? DEFAULT_OUTBOX_CONFIG.retrySchedule)],
    };
    this.relays = new RelayHub(options.relayBus ?? new LocalRelayBus());
    this.scheduler = new DeliveryScheduler({
      relays: this.relays,
      store,
      config: this.config,
      send: options.send ?? sender(this.config),
      caches: this.caches,
      stopped: () => this.shuttingDown,
    });
    if (store.shared) {
      // Another process may queue a delivery, or die holding one: look for due ones now and then.
      this.poller = setInterval(() => this.scheduler.work.track(this.scheduler.pumpAll()), this.config.pollIntervalMs);
      this.poller.unref();
    }
  }

  /** Shutting down: nothing more is queued or scheduled. */
  get stopped(): boolean {
    return this.shuttingDown;
  }

  onDeliveryUpdate(listener: DeliveryListener): () => void {
    return this.scheduler.onDeliveryUpdate(listener);
  }

  /** Each attempt once recorded, with the delivery as it stands after it. */
  onAttempt(listener: AttemptListener): void {
    this.scheduler.onAttempt(listener);
  }

  /** Failures of the background work (a store that went away): nothing a request waits for. */
  onError(listener: (error: unknown) => void): void {
    this.scheduler.work.onError(listener);
  }

  // ---- endpoints and the log ------------------------------------------------------------

  async createEndpoint(
    key: string,
    request: Schemas['CreateWebhookEndpointRequest'],
  ): Promise<Schemas['WebhookEndpointWithSecret']> {
    const url = parseWebhookUrl(request.url);
    await assertAllowedTarget(url, this.config.allowPrivate);
    const endpoint = await this.store.transact(key, (tx) =>
      createEndpoint(tx, url, request.secret, this.config.maxEndpointsPerTenant, this.config, request),
    );
    const { relay: _none, ...created } = endpoint;
    return created;
  }

  /** Its webhook faults (duplicate, delay_ms), from the next attempt on. */
  updateEndpoint(
    key: string,
    endpointId: string,
    request: Schemas['UpdateWebhookEndpointRequest'],
  ): Promise<Schemas['WebhookEndpoint']> {
    return this.store.transact(key, (tx) => updateEndpoint(tx, endpointId, request, this.config.relayHeartbeatMs));
  }

  listEndpoints(key: string): Promise<Schemas['WebhookEndpoint'][]> {
    return this.store.transact(key, (tx) => listEndpoints(tx, this.config.relayHeartbeatMs));
  }

  // ---- relay endpoints (lastmile listen) ------------------------------------------------

  async createRelay(
    key: string,
    request: Schemas['CreateWebhookRelayRequest'] = {},
  ): Promise<Schemas['WebhookEndpointWithSecret']> {
    const { relay: _state, ...created } = await this.store.transact(key, (tx) =>
      createEndpoint(tx, null, request.secret, this.config.maxEndpointsPerTenant, this.config),
    );
    return { ...created, relay: { connected: false } };
  }

  /**
   * A stream now holds the relay (taking over from any earlier one): returns its holder id.
   * A relay unknown, or gone past its grace, is WEBHOOK_ENDPOINT_NOT_FOUND.
   */
  openRelay(key: string, endpointId: string): Promise<string> {
    return this.store.transact(key, async (tx) => {
      const nowMs = clockNow(await tx.clock(), tx.realNowMs);
      await expireRelays(tx, nowMs, this.config);
      const endpoint = await tx.endpoints.get(endpointId);
      if (!endpoint?.relay)
        throw new DomainError('WEBHOOK_ENDPOINT_NOT_FOUND', `Webhook relay endpoint ${endpointId} not found`);
      const holder = newId('rls');
      tx.endpoints.put({ ...endpoint, relay: { holder, seenRealMs: tx.realNowMs, seenAtMs: nowMs } });
      return holder;
    });
  }

  /** The stream `holder` is still there (a keep-alive); false once another holds the relay or it is gone. */
  relayHeartbeat(key: string, endpointId: string, holder: string): Promise<boolean> {
    return this.touchRelay(key, endpointId, holder, holder);
  }

  /** The stream `holder` closed: the relay receives nothing until another opens, and its grace period starts. */
  async closeRelay(key: string, endpointId: string, holder: string): Promise<void> {
    await this.touchRelay(key, endpointId, holder, null);
  }

  private async touchRelay(key: string, endpointId: string, holder: string, next: string | null): Promise<boolean> {
    const touched = await this.store.transact(
      key,
      async (tx) => {
        const endpoint = await tx.endpoints.get(endpointId);
        if (endpoint?.relay?.holder !== holder) return false;
        const nowMs = clockNow(await tx.clock(), tx.realNowMs);
        tx.endpoints.put({ ...endpoint, relay: { holder: next, seenRealMs: tx.realNowMs, seenAtMs: nowMs } });
        return true;
      },
      { existingOnly: true },
    );
    return touched === true;
  }

  /** The answer to one relayed attempt, posted back by the stream's holder to any instance. */
  async reportRelayResult(key: string, endpointId: string, result: Schemas['RelayResult']): Promise<void> {
    const endpoint = await this.store.transact(key, (tx) => tx.endpoints.get(endpointId));
    if (!endpoint?.relay)
      throw new DomainError('WEBHOOK_ENDPOINT_NOT_FOUND', `Webhook relay endpoint ${endpointId} not found`);
    this.relays.report(endpointId, result);
  }

  deleteEndpoint(key: string, endpointId: string): Promise<void> {
    return this.store.transact(key, async (tx) => {
      await deleteEndpoint(tx, endpointId);
      tx.afterCommit(() => this.caches.forgetEndpoint(tx.tenantKey, endpointId));
    });
  }

  listDeliveries(key: string, filter: DeliveryFilter = {}): Promise<Schemas['WebhookDelivery'][]> {
    return this.store.transact(key, (tx) => listDeliveries(tx, filter));
  }

  /**
   * One more attempt now. A pending delivery keeps its place in its chain (one waiting
   * behind another stays waiting); a finished one is sent once more, outside its chain.
   */
  retryDelivery(key: string, deliveryId: string): Promise<Schemas['WebhookDelivery']> {
    return this.store.transact(key, async (tx) => {
      const delivery = await tx.deliveries.get(deliveryId);
      if (!delivery) throw new DomainError('WEBHOOK_DELIVERY_NOT_FOUND', `Webhook delivery ${deliveryId} not found`);
      if (!(await tx.endpoints.get(delivery.endpoint_id))) {
        throw new DomainError(
          'WEBHOOK_ENDPOINT_DELETED',
          `Webhook endpoint ${delivery.endpoint_id} of delivery ${deliveryId} was deleted`,
        );
      }
      const nowMs = clockNow(await tx.clock(), tx.realNowMs);
      const chains = chainsOf(await tx.pendingDeliveries.ofJob(delivery.job_id));
      if (delivery.status === 'PENDING') {
        const waiting = waitingFor(chains, delivery);
        if (waiting !== undefined || delivery.nextAttemptAtMs === null) return deliveryView(delivery, waiting);
        const brought: DeliveryRecord = { ...delivery, nextAttemptAtMs: Math.min(delivery.nextAttemptAtMs, nowMs) };
        tx.deliveries.put(brought);
        tx.afterCommit(() => this.scheduler.work.track(this.scheduler.pump(tx.tenantKey)));
        return deliveryView(brought);
      }
      const again: DeliveryRecord = {
        ...delivery,
        status: 'PENDING',
        nextAttemptAtMs: nowMs,
        outsideChain: true,
        lease: null,
      };
      tx.deliveries.put(again);
      tx.afterCommit(() => this.scheduler.work.track(this.scheduler.attempt(tx.tenantKey, again)));
      return deliveryView(again);
    });
  }

  // ---- queueing and scheduling ----------------------------------------------------------

  /** One delivery per endpoint for each event, queued in the events' own transaction. */
  async enqueue(tx: WebhookTransaction, events: readonly JobEvent[]): Promise<void> {
    if (this.stopped || (await tx.endpoints.count()) === 0) return;
    const endpoints: EndpointRecord[] = [];
    for await (const endpoint of tx.endpoints.list('oldest')) endpoints.push(endpoint);
    const queuedChains = new Set<string>();
    // A job created in this transaction has nothing queued yet: only older jobs' chains are read.
    const createdHere = new Set(events.filter((event) => event.type === 'CREATED').map((event) => event.job.id));
    for (const jobId of new Set(events.map((event) => event.job.id))) {
      if (createdHere.has(jobId)) continue;
      for (const chain of chainsOf(await tx.pendingDeliveries.ofJob(jobId)).keys()) queuedChains.add(chain);
    }
    const nowMs = clockNow(await tx.clock(), tx.realNowMs);
    const created: DeliveryRecord[] = [];
    for (const event of events) {
      const payloadText = webhookPayloadText(event);
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
          nextAttemptAtMs: queuedChains.has(chainKey({ endpoint_id: endpoint.id, job_id: event.job.id }))
            ? null
            : nowMs,
          created_at: event.created_at,
          payloadText,
          instaLeapSignature: instaLeapSignature(endpoint.secret, event),
          lease: null,
        };
        queuedChains.add(chainKey(delivery));
        created.push(delivery);
      }
    }
    await remember(tx, created, this.config.maxDeliveriesPerTenant);
    tx.afterCommit(() => this.scheduler.queued(tx.tenantKey, created));
  }

  /** A tenant's clock moved on: what waited on it may be due. */
  clockMoved(key: string): void {
    this.scheduler.work.track(this.scheduler.pump(this.store.tenants.refOf(key)));
  }

  // ---- lifecycle ----------------------------------------------------------------------

  /** A reset or evicted tenant: no more timers, no more pooled connections. */
  forgetTenant(key: string): void {
    const ref = this.store.tenants.refOf(key);
    this.scheduler.disarm(ref);
    this.caches.forgetTenant(ref);
  }

  /** Attempts every chain head of the tenant that is due and not held. */
  pump(key: string): Promise<void> {
    return this.scheduler.pump(this.store.tenants.refOf(key));
  }

  /** Resolves once nothing is in flight. */
  idle(): Promise<void> {
    return this.scheduler.work.idle();
  }

  /**
   * Stops scheduling; gives every pending head one bounded last try, and returns how many
   * deliveries remain undelivered (on a shared store: of the tenants this process sent for;
   * whatever stays pending stays in the store, for the other instances or the next start).
   */
  async shutdown(graceMs: number): Promise<{ undelivered: number }> {
    if (this.poller) clearInterval(this.poller);
    this.scheduler.disarm();
    const store = this.store;
    const pending: Array<[string, string]> = [];
    // On a shared store, only the tenants this process has sent for: the others' pending
    // deliveries are for the instances that serve them (all of it stays in the store).
    const mine = (key: string) => !store.shared || this.caches.has(key);
    try {
      for (const key of (await store.tenantsWithPendingDeliveries()).filter(mine)) {
        const deliveries =
          (await store.transact(key, (tx) => tx.pendingDeliveries.all(), { existingOnly: true })) ?? [];
        for (const d of deliveries) pending.push([key, d.id]);
        for (const chain of chainsOf(deliveries).values())
          this.scheduler.work.track(this.scheduler.attempt(key, chain[0], true));
      }
    } catch (error) {
      // A store that went away keeps what it holds; this process can only stop.
      this.scheduler.work.fail(error);
    }
    this.shuttingDown = true;
    await Promise.race([this.idle(), new Promise((r) => setTimeout(r, graceMs).unref())]);
    this.caches.forgetAll();
    let undelivered = 0;
    for (const [key, id] of pending) {
      const status = await store
        .transact(key, async (tx) => (await tx.deliveries.get(id))?.status, { existingOnly: true })
        .catch(() => undefined);
      if (status !== 'SUCCEEDED') undelivered += 1;
    }
    return { undelivered };
  }
}
