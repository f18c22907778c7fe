/**
 * `npm run bench:store [-- --duration S] [--connections N]`
 *
 * create-job (POST /jobs, the whole path) on the in-memory store and on the Redis store, in
 * one run, each server in its own process on 127.0.0.1 with the same autocannon settings:
 * memory, Redis with one instance, Redis with two instances (the connections split between
 * them, requests per second added up). Also counts the Redis round trips of one create.
 * redis-server is the script's own, on a free port, without persistence.
 */
import autocannon from 'autocannon';
import { Sandbox } from '../server/application/sandbox';
import { RedisStore } from '../server/store/redis';
import { startRedis } from '../test/support/redis-server';
import { countingClient } from '../test/support/round-trips';
import { Outbox } from '../server/webhooks/outbox';
import { killAll, startSandbox, stopProcess } from './lib/processes';
import { createRequests, heldSlots, ORDER, WEEK, type HeldSlot } from './bench/create-load';

const args = process.argv.slice(2);
const value = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
};
const DURATION = Number(value('--duration', '10'));
const CONNECTIONS = Number(value('--connections', '50'));

interface Figures {
  rps: number;
  p99: number;
  non2xx: number;
  errors: number;
}

function creates(url: string, pairs: HeldSlot[], connections: number, duration: number): Promise<autocannon.Result> {
  return autocannon({
    url,
    connections,
    duration,
    pipelining: 1,
    requests: createRequests(pairs),
  });
}

/** create-job against every URL at once, the connections split between them. */
async function measure(urls: string[], label: string): Promise<Figures> {
  const perUrl = Math.max(1, Math.floor(CONNECTIONS / urls.length));
  const budget = Math.ceil((DURATION * 8000) / urls.length);
  const pairs = await Promise.all(urls.map((url, i) => heldSlots(url, `bench-${label}-${i}`, budget + 1000)));
  await Promise.all(urls.map((url, i) => creates(url, pairs[i].splice(0, 1000), perUrl, 1))); // warm-up
  const results = await Promise.all(urls.map((url, i) => creates(url, pairs[i], perUrl, DURATION)));
  return {
    rps: Math.round(results.reduce((n, r) => n + r.requests.average, 0)),
    p99: Math.max(...results.map((r) => r.latency.p99)),
    non2xx: results.reduce((n, r) => n + r.non2xx, 0),
    errors: results.reduce((n, r) => n + r.errors + r.timeouts, 0),
  };
}

async function roundTripsPerCreate(url: string): Promise<{ plain: number; idempotent: number }> {
  const counting = countingClient(url);
  const store = await RedisStore.connect({ url, prefix: 'bench-rt:', tenantTtlSeconds: 3600, client: counting.client });
  const outbox = new Outbox(store);
  const sandbox = new Sandbox(store, {}, { outbox });
  try {
    const slots = await sandbox.availability('rt', WEEK);
    const count = async (idempotencyKey?: string) => {
      const before = counting.roundTrips();
      await sandbox.createJob('rt', { ...ORDER, slot_id: slots.pop()!.id }, idempotencyKey);
      return counting.roundTrips() - before;
    };
    return { plain: await count(), idempotent: await count('bench-idem') };
  } finally {
    await outbox.shutdown(0);
    await store.close();
  }
}

async function main(): Promise<void> {
  const redis = await startRedis();
  try {
    const flags = ['--log-level', 'info'];
    const rows: Array<[string, Figures]> = [];
    const memory = await startSandbox(flags, 'memory');
    rows.push(['memory, 1 instance', await measure([memory.url], 'memory')]);
    await stopProcess(memory);
    const one = await startSandbox([...flags, '--store', redis.url, '--store-prefix', 'bench1:'], 'redis-1');
    rows.push(['Redis, 1 instance', await measure([one.url], 'redis1')]);
    await stopProcess(one);
    const two = await Promise.all(
      [0, 1].map((i) => startSandbox([...flags, '--store', redis.url, '--store-prefix', 'bench2:'], `redis-2-${i}`)),
    );
    rows.push([
      'Redis, 2 instances',
      await measure(
        two.map((t) => t.url),
        'redis2',
      ),
    ]);
    await Promise.all(two.map((t) => stopProcess(t)));
    const trips = await roundTripsPerCreate(redis.url);

    process.stdout.write(
      `create-job, ${DURATION} s, ${CONNECTIONS} connections, ${new Date().toISOString().slice(0, 10)}\n\n`,
    );
    process.stdout.write('| store | req/s | p99 ms | non-2xx | errors |\n|---|---|---|---|---|\n');
    for (const [label, f] of rows)
      process.stdout.write(`| ${label} | ${f.rps} | ${f.p99} | ${f.non2xx} | ${f.errors} |\n`);
    const ratio = Math.round((rows[1][1].rps / rows[0][1].rps) * 100);
    process.stdout.write(`\nRedis, 1 instance: ${ratio} % of memory (target: at least 40 %).\n`);
    process.stdout.write(
      `Redis round trips per create-job: ${trips.plain} (${trips.idempotent} with an Idempotency-Key); target 1.\n`,
    );
  } finally {
    killAll();
    await redis.stop();
  }
}

main().catch((error) => {
  killAll();
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
