/**
 * Redis away: at start-up `lastmile serve` says so in one line and exits 2; mid-run every
 * request that needs the store answers 503 STORE_UNAVAILABLE, nothing is half-written, the
 * process stays up, and answers come back by themselves once Redis does.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import Redis from 'ioredis';
import { startServer, type RunningServer } from '../../server/main';
import { renewalOf } from '../../server/store/redis';
import { TenantIds } from '../../server/domain/tenants';
import { TestApi, createJobRequest } from '../support/harness';
import { freePort } from '../support/ports';
import { startRedis, type RunningRedis } from '../support/redis-server';

const BIN = join(__dirname, '..', '..', 'bin', 'lastmile.js');

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

it('an unreachable Redis at start-up: one line on stderr, exit 2, nothing on stdout', async () => {
  const port = await freePort();
  const { code, stdout, stderr } = await run(['serve', '--port', '0', '--store', `redis://127.0.0.1:${port}`]);
  expect({ code, stdout, stderr }).toEqual({
    code: 2,
    stdout: '',
    stderr: `lastmile: cannot reach Redis at redis://127.0.0.1:${port}: ECONNREFUSED\n`,
  });
}, 60_000);

it('a --store that is neither memory nor a redis:// or redis-cluster:// URL is a usage error', async () => {
  const { code, stderr } = await run(['serve', '--port', '0', '--store', 'postgres://db/lastmile']);
  expect([code, stderr]).toEqual([
    2,
    'lastmile: --store must be memory, a redis:// URL or a redis-cluster:// URL, got "postgres://db/lastmile"\n',
  ]);
}, 60_000);

describe('Redis away mid-run', () => {
  let redis: RunningRedis;
  let server: RunningServer;

  beforeAll(async () => {
    redis = await startRedis({ appendOnly: true });
    server = await startServer({
      port: 0,
      host: '127.0.0.1',
      logLevel: 'silent',
      store: redis.url,
      storePrefix: 'away:',
      tenantTtlSeconds: 3600,
    });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await redis?.stop();
  }, 60_000);

  it('answers 503 STORE_UNAVAILABLE, writes nothing half, stays up, and recovers by itself', async () => {
    const api = new TestApi(server, 'away-tenant');
    const slots = await api.slots();
    const { id: first } = await api.createJob({ slot_id: slots[0].id });
    await redis.pause();
    const create = await api.post('/jobs', { ...createJobRequest(), slot_id: slots[1].id });
    expect([create.status, create.body.code, create.headers.get('retry-after')]).toEqual([
      503,
      'STORE_UNAVAILABLE',
      '1',
    ]);
    expect((await api.get(`/jobs/${first}`)).status).toBe(503);
    expect((await api.get('/healthz')).status).toBe(200);
    await redis.resume();
    let answer = await api.get(`/jobs/${first}`);
    for (let look = 0; answer.status === 503 && look < 200; look++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      answer = await api.get(`/jobs/${first}`);
    }
    expect(answer.status).toBe(200);
    // The create answered 503 happened not at all: its slot is free, and it is not in the list.
    expect((await api.get(`/jobs/availability/${slots[1].id}/check`)).body.status).toBe('AVAILABLE');
    expect((await api.get('/sandbox/jobs')).body.map((j: { id: string }) => j.id)).toEqual([first]);
    expect((await api.post('/jobs', { ...createJobRequest(), slot_id: slots[1].id })).status).toBe(201);
  }, 60_000);

  it('sets every key of a tenant to expire at one instant, --tenant-ttl (and at most a tenth more) after its last write', async () => {
    const api = new TestApi(server, 'ttl-tenant');
    await api.createJob();
    const client = new Redis(redis.url);
    const expiries = async () => {
      const keys = await client.keys(`away:t:{${new TenantIds().idOf('ttl-tenant').slice(0, 32)}}:*`);
      return { keys, at: await Promise.all(keys.map((k) => client.pexpiretime(k))) };
    };
    try {
      const first = await expiries();
      const ttlMs = 3_600_000;
      expect(first.keys.length).toBeGreaterThan(5);
      expect(new Set(first.at).size).toBe(1);
      const remaining = first.at[0] - Date.now();
      expect(remaining).toBeGreaterThan(ttlMs - 10_000);
      expect(remaining).toBeLessThanOrEqual(ttlMs + renewalOf(ttlMs));
      // Keys a later commit creates (the tenant's first fault rule) expire at the same instant.
      expect((await api.post('/sandbox/faults', { operations: ['getJob'], status: 500 })).status).toBe(201);
      const later = await expiries();
      expect(later.keys.length).toBeGreaterThan(first.keys.length);
      expect(new Set(later.at)).toEqual(new Set(first.at));
    } finally {
      client.disconnect();
    }
  }, 60_000);
});
