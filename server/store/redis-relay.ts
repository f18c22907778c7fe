/**
 * The relay bus across instances (server/webhooks/relay.ts): relay requests and answers on
 * one Redis channel, so that the instance attempting a delivery, the one holding the relay's
 * stream and the one an answer is posted to may all differ. Messages name relay endpoints,
 * streams and attempts, never a tenant or its key. A message lost while Redis is away costs
 * one attempt, which times out and is retried on schedule.
 * On a Redis Cluster the channel is the cluster's: a message published on any node reaches
 * the subscribers of every node.
 */
import { closeClients, pubSubPair, type RedisClient } from './redis-connection';
import type { RelayBus, RelayMessage } from '../webhooks/relay';

export class RedisRelayBus implements RelayBus {
  private readonly listeners: Array<(message: RelayMessage) => void> = [];

  private constructor(
    private readonly publisher: RedisClient,
    private readonly subscriber: RedisClient,
    private readonly channel: string,
  ) {}

  static async start(url: string, prefix: string): Promise<RedisRelayBus> {
    const { publisher, subscriber } = await pubSubPair(url);
    const bus = new RedisRelayBus(publisher, subscriber, `${prefix}relay`);
    await subscriber.subscribe(bus.channel);
    subscriber.on('message', (_channel: string, text: string) => bus.dispatch(text));
    return bus;
  }

  publish(message: RelayMessage): void {
    this.publisher.publish(this.channel, JSON.stringify(message)).catch(() => undefined);
  }

  subscribe(listener: (message: RelayMessage) => void): void {
    this.listeners.push(listener);
  }

  private dispatch(text: string): void {
    let message: RelayMessage;
    try {
      message = JSON.parse(text) as RelayMessage;
    } catch {
      return;
    }
    for (const listener of this.listeners) listener(message);
  }

  async close(): Promise<void> {
    await closeClients(this.publisher, this.subscriber);
  }
}
