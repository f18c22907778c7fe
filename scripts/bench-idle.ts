/**
 * `npm run bench:idle [-- --tenants N] [--window S] [--baseline DIR]`
 *
 * What an idle hosted sandbox costs Redis: N tenants each with a job whose webhook endpoint
 * answers 500, then, once the first attempts and the first quick retries are over, the Redis
 * commands per second while nothing is due (INFO's total_commands_processed over a window),
 * with one `lastmile serve --store redis://…` instance. With `--baseline DIR` (another checkout
 * of the project, e.g. `git worktree add /tmp/base main`), the same run with its server first,
 * and the ratio. redis-server is the script's own.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Redis from 'ioredis';
import { startRedis } from '../test/support/redis-server';
import { killAll, startSandbox, stopProcess } from './lib/processes';
import { ORDER, WEEK } from './bench/create-load';

const args = process.argv.slice(2);
const value = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
};
const TENANTS = Number(value('--tenants', '1000'));
const WINDOW_S = Number(value('--window', '10'));
const BASELINE = value('--baseline', '');

async function post(url: string, key: string, body: unknown): Promise<any> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': key },
    body: JSON.stringify(body),
  });
  // The baseline's polling can keep Redis too busy to answer at once while tenants are added.
  if (res.status === 503) return new Promise((resolve) => setTimeout(resolve, 200)).then(() => post(url, key, body));
  if (res.status >= 300) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return res.json();
}

async function commandsProcessed(redis: Redis): Promise<number> {
  const info = await redis.info('stats');
  return Number(/total_commands_processed:(\d+)/.exec(info)![1]);
}

async function idleCommandsPerSecond(root: string | undefined, hookUrl: string): Promise<number> {
  const redis = await startRedis();
  const sandbox = await startSandbox(['--store', redis.url, '--log-level', 'warn'], 'idle sandbox', root);
  const client = new Redis(redis.url);
  try {
    for (let start = 0; start < TENANTS; start += 20) {
      await Promise.all(
        Array.from({ length: Math.min(20, TENANTS - start) }, async (_, i) => {
          const key = `idle-${start + i}`;
          await post(`${sandbox.url}/sandbox/webhook-endpoints`, key, { url: hookUrl });
          const [slot] = (await post(`${sandbox.url}/jobs/availability/v2`, key, WEEK)) as Array<{ id: string }>;
          await post(`${sandbox.url}/jobs`, key, { ...ORDER, slot_id: slot.id });
        }),
      );
    }
    // The first attempt, and the retries 1 s and 5 s later, are work; the next is 30 s on.
    await new Promise((resolve) => setTimeout(resolve, 8000));
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
