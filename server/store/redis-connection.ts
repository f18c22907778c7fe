/**
 * The clients that reach the Redis store: every part that talks to Redis (the store, the
 * event relay, the relay bus) makes its clients here, so all of them follow the same address
 * (server/store/redis-address.ts), one Redis or a Redis Cluster.
 */
import Redis, { Cluster, type ClusterOptions, type RedisOptions } from 'ioredis';
import { isClusterUrl, parseClusterUrl } from './redis-address';

/** A client of either kind: both speak the same commands. */
export type RedisClient = Redis | Cluster;

/**
 * How every client comes back after Redis went away: it connects again every 100 ms to 1 s,
 * and never holds a command for a later connection. A restarted Redis accepts connections
 * while it loads its data back (answering `LOADING`); the client then waits before asking
 * again whether it is done, by default as long as Redis estimates, up to 10 s, an estimate
 * that can be far too long early in the load (elapsed whole seconds × bytes left / bytes
 * loaded). Asking every 100 ms instead makes answers resume at most 100 ms after the load.
 */
export const RECONNECTING: RedisOptions = {
  lazyConnect: true,
  maxRetriesPerRequest: 0,
  retryStrategy: (times) => Math.min(times * 100, 1000),
  maxLoadingRetryTime: 100,
};

/**
 * A client for `url` with the given behaviour (offline queue, retries, timeouts). For a
 * cluster, the options hold for the cluster as a whole and for each node's connection.
 */
export function redisClient(url: string, options: RedisOptions): RedisClient {
  if (!isClusterUrl(url)) return new Redis(url, options);
  const { nodes, username, password } = parseClusterUrl(url);
  // Auto-pipelining stays off on a cluster, for the cluster client and its nodes alike.
  const { lazyConnect, enableOfflineQueue, retryStrategy, enableAutoPipelining: _off, ...perNode } = options;
  const clusterOptions: ClusterOptions = {
    lazyConnect,
    enableOfflineQueue,
    clusterRetryStrategy: retryStrategy ? (times) => retryStrategy(times) : undefined,
    redisOptions: { ...perNode, username, password },
    // A slot that moved is found again at once, not after the next periodic refresh.
    slotsRefreshTimeout: 2000,
  };
  return new Cluster(nodes, clusterOptions);
}

/** A publisher (which drops what it cannot send at once) and a subscriber, both connected. */
export interface PubSubPair {
  publisher: RedisClient;
  subscriber: RedisClient;
}

/**
 * Connects a publisher and a subscriber for a channel across instances (the event relay,
 * the relay bus). Their errors reach each command's caller (publishing drops a message while
 * Redis is away; the subscriber subscribes again by itself once it is back), never the process.
 */
export async function pubSubPair(url: string): Promise<PubSubPair> {
  // Messages published at once (the live events of many commits) go to Redis in one write:
  // without it, the publisher wrote once per message, ten times as often as the store.
  const publisher = redisClient(url, { ...RECONNECTING, enableOfflineQueue: false, enableAutoPipelining: true });
  const subscriber = redisClient(url, RECONNECTING);
  publisher.on('error', () => undefined);
  subscriber.on('error', () => undefined);
  try {
    await Promise.all([publisher.connect(), subscriber.connect()]);
  } catch (error) {
    publisher.disconnect();
    subscriber.disconnect();
    throw error;
  }
  return { publisher, subscriber };
}

/** Closes clients politely, or at once when that fails. */
export async function closeClients(...clients: RedisClient[]): Promise<void> {
  await Promise.all(clients.map((client) => client.quit().catch(() => client.disconnect())));
}
