/**
 * `npm run bench:idle [-- --tenants N] [--window S] [--baseline DIR]`
 *
 * What an idle hosted sandbox costs Redis: N tenants each with a job whose webhook endpoint
 * answers 500 (the retry an hour later: nothing else is due), then, once every tenant's
 * delivery log shows its first attempt, the Redis commands per second while nothing is due (INFO's
 * total_commands_processed over a window), with one `lastmile serve --store redis://…`
 * instance. With `--baseline DIR` (another checkout of the project, e.g. `git worktree add
 * /tmp/base main`), the same run with its server first, and the ratio. redis-server is the
 * script's own.
 *
 * Tenants are added a few at a time, and a request the server answers 503 (a store too busy
 * to answer within its command timeout, as a polling baseline makes it) or that fails on the
 * way is sent again, a bounded number of times.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Redis from 'ioredis';
import { startRedis } from '../test/support/redis-server';
import { killAll, startSandbox, stopProcess } from './lib/processes';
import { ORDER, WEEK } from './bench/create-load';
import { optionValue } from './lib/args';

const TENANTS = Number(optionValue('--tenants', '1000'));
const WINDOW_S = Number(optionValue('--window', '10'));
const BASELINE = optionValue('--baseline', '');

/** Sends of one request at most (the first and the retries). */
const SENDS = 20;
/** Tenants added at once. */
const SEED_CONCURRENCY = 8;
/** The first retry of a failed delivery, in seconds: after the window, so that nothing is due in it. */
const FIRST_RETRY_S = 3600;

async function post(url: string, key: string, body: unknown, send = 1): Promise<any> {
  let failure: string;
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key },
      body: JSON.stringify(body),
    });
    if (res.status < 300) return await res.json();
    failure = `${res.status} ${await res.text()}`;
    if (res.status !== 503) throw new Error(`${url}: ${failure}`);
  } catch (error) {
    if (!(error instanceof TypeError)) throw error; // fetch's own failure (reset, refused) is a TypeError
    failure = error.message;
  }
  if (send >= SENDS) throw new Error(`${url}: still failing after ${SENDS} sends: ${failure}`);
  await new Promise((resolve) => setTimeout(resolve, 100 * send));
  return post(url, key, body, send + 1);
}

/** Until every tenant's delivery has had its first attempt (bounded: 5 minutes). */
async function firstAttemptsMade(url: string): Promise<void> {
  let waiting = Array.from({ length: TENANTS }, (_, i) => `idle-${i}`);
  const deadline = Date.now() + 300_000;
  while (waiting.length > 0) {
    if (Date.now() > deadline) throw new Error(`${waiting.length} tenants still without a first attempt`);
    const still: string[] = [];
    for (let start = 0; start < waiting.length; start += SEED_CONCURRENCY)
      await Promise.all(
        waiting.slice(start, start + SEED_CONCURRENCY).map(async (key) => {
          const res = await fetch(`${url}/sandbox/webhook-deliveries`, { headers: { 'x-api-key': key } });
          const log = res.ok ? ((await res.json()) as Array<{ attempts: unknown[] }>) : [];
          if (!log.length || log.some((d) => d.attempts.length === 0)) still.push(key);
        }),
      );
    console.log(`  ${waiting.length - still.length} of ${waiting.length} tenants with their first attempt made`);
    waiting = still;
    if (waiting.length) await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function commandsProcessed(redis: Redis): Promise<number> {
  const info = await redis.info('stats');
  return Number(/total_commands_processed:(\d+)/.exec(info)![1]);
}

async function idleCommandsPerSecond(root: string | undefined, hookUrl: string): Promise<number> {
  const redis = await startRedis();
  const sandbox = await startSandbox(
    [
      '--store',
      redis.url,
      '--log-level',
      'warn',
      '--webhook-retry-schedule',
      String(FIRST_RETRY_S),
      '--webhook-retry-jitter',
      '0',
    ],
    'idle sandbox',
    root,
  );
  const client = new Redis(redis.url);
  try {
    const seeding = Date.now();
    for (let start = 0; start < TENANTS; start += SEED_CONCURRENCY) {
      await Promise.all(
        Array.from({ length: Math.min(SEED_CONCURRENCY, TENANTS - start) }, async (_, i) => {
          const key = `idle-${start + i}`;
          await post(`${sandbox.url}/sandbox/webhook-endpoints`, key, { url: hookUrl });
          const [slot] = (await post(`${sandbox.url}/jobs/availability/v2`, key, WEEK)) as Array<{ id: string }>;
          await post(`${sandbox.url}/jobs`, key, { ...ORDER, slot_id: slot.id });
        }),
      );
    }
    console.log(`  ${TENANTS} tenants added in ${((Date.now() - seeding) / 1000).toFixed(0)} s`);
    await firstAttemptsMade(sandbox.url);
    // The retries are an hour on: from here nothing is due.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const before = await commandsProcessed(client);
    await new Promise((resolve) => setTimeout(resolve, WINDOW_S * 1000));
    return Math.round(((await commandsProcessed(client)) - before - 1) / WINDOW_S);
  } finally {
    client.disconnect();
    await stopProcess(sandbox);
    await redis.stop();
  }
}

async function main(): Promise<void> {
  const failing = http.createServer((_req, res) => {
    res.statusCode = 500;
    res.end();
  });
  await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
  const hookUrl = `http://127.0.0.1:${(failing.address() as AddressInfo).port}/hooks`;
  try {
    console.log(`idle Redis with ${TENANTS} tenants whose endpoint fails, one instance, ${WINDOW_S} s window`);
    const baseline = BASELINE ? await idleCommandsPerSecond(BASELINE, hookUrl) : undefined;
    if (baseline !== undefined) console.log(`  baseline (${BASELINE}): ${baseline} Redis commands/s`);
    const now = await idleCommandsPerSecond(undefined, hookUrl);
    console.log(`  this checkout:   ${now} Redis commands/s`);
    if (baseline !== undefined) console.log(`  fall: ${(baseline / Math.max(now, 1)).toFixed(0)}x`);
  } finally {
    failing.close();
  }
}

main().catch((error) => {
  console.error(error);
  killAll();
  process.exit(1);
});
