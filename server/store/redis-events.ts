/**
 * Live events across instances: with the Redis store, a console page connected to one
 * instance sees what every instance did. Each instance publishes the job events and
 * delivery updates it commits (type, ids, state, attempt count: what a stream carries) on
 * one Redis channel, and hands every message it receives, its own included, to its streams.
 * A message names its tenant by id (the keyed hash of its API key), never by the key; the
 * streams are handed the tenant's reference.
 * A live event lost while Redis is away costs an open page a refresh, never an answer.
 * An instance subscribes to the channel only while one of its pages is open (it has a
 * listener), so that the events of a sandbox nobody watches cost the instances nothing to
 * receive; a page is told it is live once the subscription is in place.
 * On a Redis Cluster the channel is the cluster's: a message published on any node reaches
 * the subscribers of every node.
 */
import { closeClients, pubSubPair, type RedisClient } from './redis-connection';
import { refOfId, type TenantIds } from '../domain/tenants';
import type { LiveDeliveryUpdate as RelayedDeliveryUpdate, LiveJobEvent as RelayedJobEvent } from '../live-events';

type JobListener = (tenantKey: string, event: RelayedJobEvent) => void;
type DeliveryUpdateListener = (tenantKey: string, delivery: RelayedDeliveryUpdate) => void;

interface Message {
  /** The tenant's id (server/domain/tenants.ts). */
  tenant: string;
  job?: { type: RelayedJobEvent['type']; id: string; state: RelayedJobEvent['job']['state'] };
  delivery?: { id: string; job_id: string; status: RelayedDeliveryUpdate['status']; attempts: number };
}

export interface RelaySources {
  sandbox: { onEvent(listener: (tenantKey: string, event: RelayedJobEvent) => void): unknown };
  outbox: { onDeliveryUpdate(listener: (tenantKey: string, delivery: RelayedDeliveryUpdate) => void): unknown };
}

export class RedisEventRelay {
  private readonly jobListeners = new Set<JobListener>();
  private readonly deliveryListeners = new Set<DeliveryUpdateListener>();
  /** The subscription to the channel, while there are listeners; settles once it is in place. */
  private subscribed: Promise<void> | null = null;

  private constructor(
    private readonly publisher: RedisClient,
    private readonly subscriber: RedisClient,
    private readonly channel: string,
  ) {}

  static async start(url: string, prefix: string, sources: RelaySources, tenants: TenantIds): Promise<RedisEventRelay> {
    const { publisher, subscriber } = await pubSubPair(url);
    const relay = new RedisEventRelay(publisher, subscriber, `${prefix}events`);
    subscriber.on('message', (_channel: string, text: string) => relay.dispatch(text));
    sources.sandbox.onEvent((key, event) =>
      relay.publish({
        tenant: tenants.idOf(key),
        job: { type: event.type, id: event.job.id, state: event.job.state },
      }),
    );
    sources.outbox.onDeliveryUpdate((key, d) =>
      relay.publish({
        tenant: tenants.idOf(key),
        delivery: { id: d.id, job_id: d.job_id, status: d.status, attempts: d.attempts.length },
      }),
    );
    return relay;
  }

  onEvent(listener: JobListener): () => void {
    return this.listen(this.jobListeners, listener);
  }

  onDeliveryUpdate(listener: DeliveryUpdateListener): () => void {
    return this.listen(this.deliveryListeners, listener);
  }

  /** Settles once the channel's messages reach the listeners (it may fail while Redis is away: settled all the same). */
  listening(): Promise<void> {
    return this.subscribed ?? Promise.resolve();
  }

  private listen<L>(listeners: Set<L>, listener: L): () => void {
    listeners.add(listener);
    void this.subscribe();
    return () => {
      listeners.delete(listener);
      if (this.listened() || !this.subscribed) return;
      this.subscribed = null;
      this.subscriber.unsubscribe(this.channel).catch(() => undefined);
    };
  }

  private listened(): boolean {
    return this.jobListeners.size + this.deliveryListeners.size > 0;
  }

  /** Subscribes once; when Redis refuses (away), again a second later while anyone listens. */
  private subscribe(): Promise<void> {
    this.subscribed ??= this.subscriber.subscribe(this.channel).then(
      () => undefined,
      () => {
        this.subscribed = null;
        setTimeout(() => {
          if (this.listened()) void this.subscribe();
        }, 1000).unref();
      },
    );
    return this.subscribed;
  }

  private publish(message: Message): void {
    this.publisher.publish(this.channel, JSON.stringify(message)).catch(() => undefined);
  }

  private dispatch(text: string): void {
    let message: Message;
    try {
      message = JSON.parse(text) as Message;
    } catch {
      return;
    }
    if (message.job) {
      const { type, id, state } = message.job;
      for (const listener of this.jobListeners) listener(refOfId(message.tenant), { type, job: { id, state } });
    }
    if (message.delivery) {
      const { attempts, ...rest } = message.delivery;
      for (const listener of this.deliveryListeners)
        listener(refOfId(message.tenant), { ...rest, attempts: { length: attempts } });
    }
  }

  async close(): Promise<void> {
    this.jobListeners.clear();
    this.deliveryListeners.clear();
    await closeClients(this.publisher, this.subscriber);
  }
}
