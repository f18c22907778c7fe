/**
 * `npm run bench:store [-- --duration S] [--rounds N] [--connections N] [--jobs N] [--only create|webhooks|soak]`
 * (`--jobs`: jobs per tenant in the webhook runs; `--only`: one of them alone)
 *
 * create-job (POST /jobs, the whole path) on the in-memory store and on the Redis store, in
 * one run, each server in its own process on 127.0.0.1 with the same autocannon settings:
 * memory and Redis with one instance, in turn, `--rounds` times `--duration` seconds each (the
 * machine's other work then weighs on both alike; the share is the median of the rounds'),
 * then Redis with two instances (the connections split between them, requests per second
 * added up). Also counts the Redis round trips of one create.
 *
 * Then webhooks on Redis: deliveries per second to a local receiver (its own process) over
 * three instances, every event counted (0 lost); and a soak: a burst over three instances
 * during which one instance is killed with SIGKILL and Redis is stopped and started again
 * (append-only file), after which every delivery the instances hold must have reached the
 * receiver (at least once: repeats are counted, not lost).
 * redis-server is the script's own, on a free port (without persistence, but for the soak).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { Sandbox } from '../server/application/sandbox';
import { RedisStore } from '../server/store/redis';
import { startRedis } from '../test/support/redis-server';
import { countingClient } from '../test/support/round-trips';
import { Outbox } from '../server/webhooks/outbox';
import { killAll, startProcess, startSandbox, stopProcess, type Child } from './lib/processes';
import { createRequests, heldSlots, json, ORDER, WEEK, type HeldSlot } from './bench/create-load';
import { optionValue } from './lib/args';
import { cpuMs, redisCpuMs } from './bench/cpu';
import { median } from './lib/stats';

const DURATION = Number(optionValue('--duration', '5'));
const ROUNDS = Number(optionValue('--rounds', '3'));
const CONNECTIONS = Number(optionValue('--connections', '50'));

interface Figures {
  rps: number;
  p99: number;
  non2xx: number;
  errors: number;
  /** CPU time per request, in ms: the server processes together, and Redis (less noisy than the rate). */
  cpuMs: { servers: number; redis: number };
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

/** Servers ready for measured rounds of create-job: each URL's held slots, every server warmed up. */
interface Prepared {
  servers: Child[];
  pairs: HeldSlot[][];
  redisUrl?: string;
}

async function prepare(servers: Child[], label: string, rounds: number, redisUrl?: string): Promise<Prepared> {
  const urls = servers.map((s) => s.url);
  const budget = Math.ceil((DURATION * rounds * 8000) / urls.length);
  const pairs = await Promise.all(urls.map((url, i) => heldSlots(url, `bench-${label}-${i}`, budget + 1000)));
  await Promise.all(urls.map((url, i) => creates(url, pairs[i].splice(0, 1000), perUrl(urls), 1))); // warm-up
  return { servers, pairs, redisUrl };
}

const perUrl = (urls: string[]) => Math.max(1, Math.floor(CONNECTIONS / urls.length));

/** One measured round: create-job against every URL at once, the connections split between them. */
async function measure({ servers, pairs, redisUrl }: Prepared): Promise<Figures> {
  const urls = servers.map((s) => s.url);
  const cpuBefore = await cpuSoFar({ servers }, redisUrl);
  const results = await Promise.all(urls.map((url, i) => creates(url, pairs[i], perUrl(urls), DURATION)));
  const cpuAfter = await cpuSoFar({ servers }, redisUrl);
  // Every slot a request went out on is taken, answered in time or not.
  for (const [i, r] of results.entries()) pairs[i].splice(0, r.requests.sent + perUrl(urls));
  const requests = results.reduce((n, r) => n + r.requests.total, 0);
  return {
    cpuMs: cpuPer(cpuBefore, cpuAfter, requests, 3),
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

const WEBHOOK_TENANTS = 24;
const WEBHOOK_JOBS_PER_TENANT = Number(optionValue('--jobs', '40'));
/** Every event of a job: CREATED and the eight steps to CLIENT_RECEIVED. */
const EVENTS_PER_JOB = 9;
const SETTLE_MS = 120_000;

/** POST; the status and body, or status 0 when the request failed on the way (an instance killed). */
async function send(url: string, key: string, body: unknown): Promise<{ status: number; body: any }> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  } catch {
    return { status: 0, body: undefined };
  }
}

/**
 * Tenants with an endpoint at `hookUrl`, each job created and advanced to CLIENT_RECEIVED
 * through the instances in turn (16 at once); `during` runs once half the jobs are in.
 * Answers how many events the instances acknowledged (a 2xx create: 1, a 2xx advance: 8).
 */
async function jobBurst(
  urls: () => string[],
  prefix: string,
  hookUrl: string,
  during?: () => Promise<void>,
): Promise<{ keys: string[]; acknowledged: number; jobs: number }> {
  const keys = Array.from({ length: WEBHOOK_TENANTS }, (_, i) => `${prefix}-${i}`);
  for (const key of keys) {
    const answer = await send(`${urls()[0]}/sandbox/webhook-endpoints`, key, { url: hookUrl });
    if (answer.status !== 201) throw new Error(`endpoint: ${answer.status} ${JSON.stringify(answer.body)}`);
  }
  const queue = keys.flatMap((key) => Array.from({ length: WEBHOOK_JOBS_PER_TENANT }, (_, i) => ({ key, i })));
  queue.reverse();
  const total = queue.length;
  let acknowledged = 0;
  let jobs = 0;
  let turn = 0;
  let middle: Promise<void> | undefined;
  const slots = new Map<string, string[]>();
  const at = () => urls()[turn++ % urls().length];
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let next = queue.pop(); next !== undefined; next = queue.pop()) {
        if (during && !middle && queue.length < total / 2) middle = during();
        const { key, i } = next;
        if (!slots.get(key)?.length) {
          const found = await send(`${at()}/jobs/availability/v2`, key, WEEK);
          if (found.status !== 200) continue;
          slots.set(
            key,
            (found.body as Array<{ id: string }>).map((s) => s.id),
          );
        }
        const created = await send(`${at()}/jobs`, key, {
          ...ORDER,
          slot_id: slots.get(key)!.pop(),
          client_reference: `W-${i}`,
        });
        if (created.status !== 201) continue;
        acknowledged += 1;
        jobs += 1;
        const advanced = await send(`${at()}/sandbox/jobs/${created.body.job_id}/advance`, key, {
          to: 'CLIENT_RECEIVED',
        });
        if (advanced.status === 200) acknowledged += EVENTS_PER_JOB - 1;
      }
    }),
  );
  await middle;
  return { keys, acknowledged, jobs };
}

/** Three instances on `redisUrl` under `prefix`, with quick retries by default (a killed instance's attempts come back soon). */
function threeInstances(redisUrl: string, prefix: string, schedule = '1,1,1,1,1,1,1,1,1,1'): Promise<Child[]> {
  const flags = ['--log-level', 'warn', '--store', redisUrl, '--store-prefix', prefix];
  const quick = ['--webhook-timeout', '2000', '--webhook-retry-schedule', schedule, '--webhook-retry-jitter', '0'];
  return Promise.all([0, 1, 2].map((i) => startSandbox([...flags, ...quick], `${prefix}-${i}`)));
}

/** CPU ms used so far by each group of processes (added up), and by Redis (0 without one). */
async function cpuSoFar<G extends string>(
  groups: Record<G, Child[]>,
  redisUrl?: string,
): Promise<Record<G | 'redis', number>> {
  const out = { redis: redisUrl ? await redisCpuMs(redisUrl) : 0 } as Record<G | 'redis', number>;
  for (const [group, children] of Object.entries(groups) as Array<[G, Child[]]>)
    out[group] = children.reduce((n: number, c) => n + (cpuMs(c.proc.pid) ?? 0), 0);
  return out;
}

/** CPU ms per unit (request, delivery) of each part between two readings, to `digits` decimals. */
function cpuPer<K extends string>(
  before: Record<K, number>,
  after: Record<K, number>,
  units: number,
  digits: number,
): Record<K, number> {
  const out = {} as Record<K, number>;
  for (const part of Object.keys(after) as K[])
    out[part] = Math.round(((after[part] - before[part]) / Math.max(1, units)) * 10 ** digits) / 10 ** digits;
  return out;
}

interface WebhookFigures {
  /** Deliveries by status and attempt count, when some events did not arrive. */
  statuses: Record<string, number>;
  events: number;
  delivered: number;
  attempts: number;
  lost: number;
  seconds: number;
  perSecond: number;
  /**
   * CPU time per delivered event from the release on, in ms: the three instances together,
   * Redis, the receiver. Less noisy than the rate on a shared machine, and it says where the
   * time goes: two cores give at most 2,000 ms of CPU a second.
   */
  cpuMsPerDelivery: { instances: number; redis: number; receiver: number };
}

/**
 * Deliveries per second over three instances: every job's events queued first while the
 * receiver answers 500 (each job's first event then waits 60 s of tenant time, the rest
 * behind it), then the receiver answers 200 and each tenant's clock is advanced 61 s: from
 * there until the last event arrives is pure delivery work. Every acknowledged event must
 * arrive. The receiver is a process of its own (scripts/bench/receiver.js).
 */
async function webhooksOverThree(redisUrl: string): Promise<WebhookFigures> {
  const receiver = await startProcess([join(__dirname, 'bench', 'receiver.js')], /listening on (http:\S+)/, 'receiver');
  const instances = await threeInstances(redisUrl, 'benchw:', '60,1,1,1,1,1,1,1,1,1');
  try {
    await json(`${receiver.url}/fail`, { method: 'POST' });
    const urls = instances.map((i) => i.url);
    const { keys, acknowledged, jobs } = await jobBurst(() => urls, 'webhooks', `${receiver.url}/hooks`);
    // Every job's first event attempted once and refused: nothing is in flight any more.
    let count = await json(`${receiver.url}/count`);
    for (let look = 0; count.refused < jobs && look < 1200; look++) {
      await new Promise((r) => setTimeout(r, 100));
      count = await json(`${receiver.url}/count`);
    }
    await json(`${receiver.url}/accept`, { method: 'POST' });
    const cpuNow = () => cpuSoFar({ instances, receiver: [receiver] }, redisUrl);
    const cpuAtRelease = await cpuNow();
    const released = Date.now();
    await Promise.all(keys.map((key, i) => send(`${urls[i % 3]}/sandbox/clock/advance`, key, { seconds: 61 })));
    const deadline = Date.now() + SETTLE_MS;
    while (count.distinct < acknowledged && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      count = await json(`${receiver.url}/count`);
    }
    const seconds = (count.lastAt - released) / 1000;
    const cpuAtEnd = await cpuNow();
    // Where the events that did not arrive stand, as the instances' delivery logs tell.
    const statuses: Record<string, number> = {};
    if (count.distinct < acknowledged)
      for (const key of keys) {
        const log = (await json(`${urls[0]}/sandbox/webhook-deliveries?limit=1000`, {
          headers: { 'x-api-key': key },
        })) as Array<{ status: string; attempts: unknown[] }>;
        for (const d of log)
          statuses[`${d.status}/${d.attempts.length}`] = (statuses[`${d.status}/${d.attempts.length}`] ?? 0) + 1;
      }
    return {
      statuses,
      events: acknowledged,
      delivered: count.distinct,
      attempts: count.received,
      lost: Math.max(0, acknowledged - count.distinct),
      seconds: Math.round(seconds * 10) / 10,
      perSecond: Math.round(count.distinct / seconds),
      cpuMsPerDelivery: cpuPer(cpuAtRelease, cpuAtEnd, count.distinct, 2),
    };
  } finally {
    await Promise.all([...instances, receiver].map((c) => stopProcess(c)));
  }
}

interface SoakFigures {
  acknowledged: number;
  held: number;
  received: number;
  repeats: number;
  lost: number;
  notSucceeded: number;
  /** Set when the surviving instances still answered 503 ten seconds after Redis came back. */
  stuck?: string;
}

/**
 * A burst over three instances; half-way, one instance is killed (SIGKILL) and Redis stopped
 * and started again. Then every delivery the instances hold (their delivery logs) must be
 * SUCCEEDED and its event received, and there must be at least as many as were acknowledged.
 */
async function soak(): Promise<SoakFigures> {
  const redis = await startRedis({ appendOnly: true });
  const ids = new Map<string, number>();
  const hook = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const id = String(req.headers['webhook-id']);
      ids.set(id, (ids.get(id) ?? 0) + 1);
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hooks`;
  let instances = await threeInstances(redis.url, 'soak:');
  try {
    const { keys, acknowledged } = await jobBurst(
      () => instances.map((i) => i.url),
      'soak',
      hookUrl,
      async () => {
        const [doomed, ...rest] = instances;
        doomed.proc.kill('SIGKILL');
        instances = rest;
        await redis.pause();
        await redis.resume();
      },
    );
    type Held = Array<{ event_id: string; status: string }>;
    // Redis was just restarted: an instance may answer 503 until its client is back (bounded).
    const logOf = async (key: string, tries = 40): Promise<Held> => {
      try {
        return (await json(`${instances[0].url}/sandbox/webhook-deliveries?limit=1000`, {
          headers: { 'x-api-key': key },
        })) as Held;
      } catch (error) {
        if (tries <= 1) throw error;
        await new Promise((r) => setTimeout(r, 250));
        return logOf(key, tries - 1);
      }
    };
    const deadline = Date.now() + SETTLE_MS;
    let logs: Held[];
    try {
      logs = await Promise.all(keys.map((key) => logOf(key)));
    } catch (error) {
      return {
        acknowledged,
        held: 0,
        received: ids.size,
        repeats: 0,
        lost: -1,
        notSucceeded: -1,
        stuck: String(error),
      };
    }
    while (logs.flat().some((d) => d.status === 'PENDING') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      logs = await Promise.all(keys.map((key) => logOf(key)));
    }
    const held = logs.flat();
    const received = held.filter((d) => ids.has(d.event_id)).length;
    return {
      acknowledged,
      held: held.length,
      received,
      repeats: [...ids.values()].reduce((n, c) => n + c - 1, 0),
      lost: held.length - received + Math.max(0, acknowledged - held.length),
      notSucceeded: held.filter((d) => d.status !== 'SUCCEEDED').length,
    };
  } finally {
    await Promise.all(instances.map((c) => stopProcess(c)));
    hook.close();
    await redis.stop();
  }
}

async function main(): Promise<void> {
  // `--only soak` or `--only webhooks`: that part alone (its figures as JSON).
  const only = optionValue('--only', '');
  if (only !== '' && !['create', 'webhooks', 'soak'].includes(only)) {
    process.stderr.write(`bench:store: --only takes create, webhooks or soak, got "${only}"\n`);
    process.exit(2);
  }
  if (only === 'soak') return console.log(await soak());
  if (only === 'webhooks') {
    const own = await startRedis();
    try {
      return console.log(await webhooksOverThree(own.url));
    } finally {
      await own.stop();
    }
  }
  const redis = await startRedis();
  try {
    const flags = ['--log-level', 'info'];
    const memory = await startSandbox(flags, 'memory');
    const one = await startSandbox([...flags, '--store', redis.url, '--store-prefix', 'bench1:'], 'redis-1');
    const alone = {
      memory: await prepare([memory], 'memory', ROUNDS + 1),
      redis: await prepare([one], 'redis1', ROUNDS + 1, redis.url),
    };
    const rounds: Array<{ memory: Figures; redis: Figures }> = [];
    // A first round of each, not counted: the first measured round ran slower, every time, for both.
    for (let round = 0; round <= ROUNDS; round++) {
      const figures = { memory: await measure(alone.memory), redis: await measure(alone.redis) };
      if (round > 0) rounds.push(figures);
    }
    await Promise.all([stopProcess(memory), stopProcess(one)]);
    const two = await Promise.all(
      [0, 1].map((i) => startSandbox([...flags, '--store', redis.url, '--store-prefix', 'bench2:'], `redis-2-${i}`)),
    );
    const both = await measure(await prepare(two, 'redis2', 1, redis.url));
    await Promise.all(two.map((t) => stopProcess(t)));
    const trips = await roundTripsPerCreate(redis.url);
    const createOnly = only === 'create';
    const webhooks = createOnly ? undefined : await webhooksOverThree(redis.url);
    const soaked = createOnly ? undefined : await soak();

    process.stdout.write(
      `create-job, ${ROUNDS} rounds of ${DURATION} s, memory and Redis in turn, ${CONNECTIONS} connections, ` +
        `${new Date().toISOString().slice(0, 10)}\n\n`,
    );
    process.stdout.write(
      '| round | store | req/s | p99 ms | non-2xx | errors | CPU ms per request: servers | Redis |\n|---|---|---|---|---|---|---|---|\n',
    );
    const row = (round: string, label: string, f: Figures) =>
      process.stdout.write(
        `| ${round} | ${label} | ${f.rps} | ${f.p99} | ${f.non2xx} | ${f.errors} | ${f.cpuMs.servers} | ${f.cpuMs.redis} |\n`,
      );
    rounds.forEach((r, i) => {
      row(String(i + 1), 'memory, 1 instance', r.memory);
      row(String(i + 1), 'Redis, 1 instance', r.redis);
    });
    row('', 'Redis, 2 instances', both);
    const shares = rounds.map((r) => Math.round((r.redis.rps / r.memory.rps) * 100));
    // The same share from CPU time per request, which the machine's other work disturbs less than the rates.
    const cpuShares = rounds.map((r) =>
      Math.round((r.memory.cpuMs.servers / (r.redis.cpuMs.servers + r.redis.cpuMs.redis)) * 100),
    );
    process.stdout.write(
      `\nRedis, 1 instance: ${Math.round(median(shares))} % of memory, the median of the rounds' ${shares.join(', ')} % ` +
        `(target: at least 50 %); from CPU per request (memory's server against Redis's server and Redis ` +
        `together): ${Math.round(median(cpuShares))} % (${cpuShares.join(', ')}).\n`,
    );
    process.stdout.write(
      `Redis round trips per create-job: ${trips.plain} (${trips.idempotent} with an Idempotency-Key); target 2.\n`,
    );
    if (webhooks && soaked) {
      process.stdout.write(
        `\nWebhooks on Redis, 3 instances, ${WEBHOOK_TENANTS} tenants: ${webhooks.perSecond} deliveries/s ` +
          `(${webhooks.delivered} of ${webhooks.events} events in ${webhooks.seconds} s, ${webhooks.attempts} attempts), ` +
          `${webhooks.lost} lost (target: at least 1,000/s, 0 lost). CPU per delivery: ` +
          `${webhooks.cpuMsPerDelivery.instances} ms in the instances, ${webhooks.cpuMsPerDelivery.redis} ms in Redis, ` +
          `${webhooks.cpuMsPerDelivery.receiver} ms in the receiver.` +
          (webhooks.lost ? ` Deliveries by status/attempts: ${JSON.stringify(webhooks.statuses)}.` : '') +
          '\n',
      );
      if (soaked.stuck)
        process.stdout.write(
          `Soak: ${soaked.acknowledged} events acknowledged, ${soaked.received} received; then the surviving instances ` +
            `still answered 503 after Redis came back: ${soaked.stuck}\n`,
        );
      else
        process.stdout.write(
          `Soak (one instance killed with SIGKILL, Redis restarted, mid-burst): ${soaked.acknowledged} events acknowledged, ` +
            `${soaked.held} deliveries held, ${soaked.received} received, ${soaked.repeats} repeats, ` +
            `${soaked.notSucceeded} not SUCCEEDED, ${soaked.lost} lost (target: 0 lost).\n`,
        );
    }
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
