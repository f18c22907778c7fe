/**
 * Test and benchmark support: an ioredis client that counts its round trips to Redis, for
 * a RedisStore to be given (its `client` option). One command sent alone is one round trip;
 * a MULTI or a pipeline, written to the socket at once, is one too.
 */
import Redis from 'ioredis';
import { REDIS_CLIENT_OPTIONS } from '../../server/store/redis';

export interface CountingClient {
  client: Redis;
  /** Round trips so far. */
  roundTrips(): number;
}

export function countingClient(url: string): CountingClient {
  const client = new Redis(url, REDIS_CLIENT_OPTIONS);
  let count = 0;
  const pipelines = new WeakSet<object>();
  const send = client.sendCommand.bind(client);
  // ioredis hands each command of a pipeline over with that pipeline's own writer, once per command.
  client.sendCommand = (command, stream) => {
    if (!stream) count += 1;
    else if (!pipelines.has(stream)) {
      pipelines.add(stream);
      count += 1;
    }
    return send(command, stream);
  };
  return { client, roundTrips: () => count };
}
