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
 * A client for `url` with the given behaviour (offline queue, retries, timeouts). For a
 * cluster, the options hold for the cluster as a whole and for each node's connection.
 */
export function redisClient(url: string, options: RedisOptions): RedisClient {
  if (!isClusterUrl(url)) return new Redis(url, options);
  const { nodes, username, password } = parseClusterUrl(url);
  const { lazyConnect, enableOfflineQueue, retryStrategy, ...perNode } = options;
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
