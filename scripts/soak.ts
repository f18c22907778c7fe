/**
 * Soak: mixed operations at moderate concurrency against a sandbox in its own process,
 * with healthy and failing webhook receivers, for --duration seconds (60 by default).
 * Prints requests, 5xx answers (must be 0), lost deliveries (must be 0) and the server's
 * RSS at start and end; exits 1 when either count is not 0. Loopback only.
 *
 *   npm run soak -- --duration 20 --concurrency 16
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { LIFECYCLE } from '../spec/contract';
import { startSandbox, stopProcess } from './lib/processes';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  const n = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number`);
  return n;
};
const DURATION_S = flag('duration', 60);
const CONCURRENCY = flag('concurrency', 16);
const TENANTS = 24;
const MAX_JOBS_PER_TENANT = 800;
const STEPS = LIFECYCLE.slice(1);

const rssOf = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- receivers ----------------------------------------------------------------------

type Behaviour = 'healthy' | 'flaky' | 'error500' | 'reset' | 'slow';
interface Hook {
  url: string;
  behaviour: Behaviour;
  events: Map<string, Set<string>>;
  server: http.Server;
}

async function startReceiver(behaviour: Behaviour): Promise<Hook> {
  const events = new Map<string, Set<string>>();
  const seen = new Set<string>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const event = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const firstTime = !seen.has(event.id);
      seen.add(event.id);
      const accept = () => {
        if (!events.has(event.job.id)) events.set(event.job.id, new Set());
        events.get(event.job.id)!.add(event.id);
        res.end('ok');
      };
      if (behaviour === 'healthy') return accept();
      if (behaviour === 'flaky') return firstTime ? void ((res.statusCode = 503), res.end('try again')) : accept();
      if (behaviour === 'error500') return void ((res.statusCode = 500), res.end('boom'));
      if (behaviour === 'reset') return void req.socket.destroy();
      setTimeout(() => {
        if (!res.destroyed) res.end('late');
      }, 1500).unref();
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`, behaviour, events, server };
}

// ---- the server ---------------------------------------------------------------------

/** The server under soak, with short webhook timeouts and retries so failures cycle fast. */
async function startSoakedSandbox(): Promise<{ url: string; pid: number; stop: () => Promise<void> }> {
  const child = await startSandbox(
    ['--log-level', 'warn', '--webhook-timeout', '1000', '--webhook-retry-schedule', '1,5'],
    'soak',
  );
  return { url: child.url, pid: child.proc.pid!, stop: () => stopProcess(child, 10_000) };
}

// ---- the workload -------------------------------------------------------------------

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY * 2 });
const statuses = new Map<number, number>();
let requests = 0;
let failures = 0;

// any: the soak reads a field or two of many operations' answers; their shapes are not what it measures.
function call(
  base: string,
  key: string,
  method: string,
  path: string,
  body?: unknown,
  raw?: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any }> {
  return new Promise((resolve) => {
    const payload = raw ?? (body === undefined ? undefined : JSON.stringify(body));
    const req = http.request(
      `${base}${path}`,
      {
        method,
        agent,
        headers: {
          'x-api-key': key,
          ...(payload !== undefined ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          requests += 1;
          const status = res.statusCode ?? 0;
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          let parsed: unknown;
          try {
            parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            parsed = undefined;
          }
          resolve({ status, body: parsed });
        });
      },
    );
    req.on('error', () => {
      failures += 1;
      resolve({ status: 0, body: undefined });
    });
    req.end(payload);
  });
}

interface Tenant {
  key: string;
  hooks: Hook[];
  jobs: string[];
  slots: string[];
}

const AVAILABILITY = {
  origin: { name: 'Store', address: 'Av. 1', latitude: 19.43, longitude: -99.2 },
  destination: { name: 'Home', address: 'Calle 2', latitude: 19.42, longitude: -99.19 },
  job_items: [{ id: 'SKU-1', name: 'Milk', unit: 'piece', quantity: 2, price: 28.5 }],
  currency_code: 'MXN',
  start: '2026-11-27T16:00:00Z',
  end: '2026-11-27T20:00:00Z',
  slot_size: 15,
};
const order = (slot_id: string, i: number) => ({
  slot_id,
  client_reference: `SOAK-${i}`,
  recipient: { name: 'Ana', phone_number: '+5215512345678' },
  payment_info: {
    currency_code: 'MXN',
    prices: { order_value: 100 },
    payment: { method: 'CASH', payment_status: 'PENDING' },
  },
});

async function step(base: string, t: Tenant, i: number): Promise<void> {
  const pick = Math.random();
  const job = t.jobs.length ? t.jobs[Math.floor(Math.random() * t.jobs.length)] : undefined;
  if (pick < 0.3 && t.jobs.length < MAX_JOBS_PER_TENANT) {
    if (t.slots.length === 0) {
      const res = await call(base, t.key, 'POST', '/jobs/availability/v2', AVAILABILITY);
      if (res.status === 200) t.slots.push(...res.body.map((s: { id: string }) => s.id));
      return;
    }
    const slot = t.slots.pop()!;
    const headers: Record<string, string> = Math.random() < 0.3 ? { 'Idempotency-Key': `k-${slot}` } : {};
    const res = await call(base, t.key, 'POST', '/jobs', order(slot, i), undefined, headers);
    if (res.status === 201) t.jobs.push(res.body.job_id);
  } else if (pick < 0.6 && job) {
    const to = Math.random() < 0.2 ? { to: STEPS[Math.floor(Math.random() * STEPS.length)] } : {};
    await call(base, t.key, 'POST', `/sandbox/jobs/${job}/advance`, to);
  } else if (pick < 0.65 && job) {
    await call(base, t.key, 'POST', `/jobs/${job}/cancel`, { reason: 'soak' });
  } else if (pick < 0.7 && job) {
    await call(base, t.key, 'PUT', `/sandbox/jobs/${job}/recipient-instructions`, { job_comment: `comment ${i}` });
  } else if (pick < 0.8 && job) {
    await call(base, t.key, 'GET', `/jobs/${job}`);
  } else if (pick < 0.85) {
    await call(base, t.key, 'GET', '/sandbox/jobs?limit=20');
  } else if (pick < 0.9) {
    await call(base, t.key, 'GET', '/sandbox/webhook-deliveries?limit=20');
  } else if (pick < 0.95) {
    const bad = ['{"slot_id":', '{"a":NaN}', '[[[[[[', 'null', '{"__proto__":{"x":1}}'][i % 5];
    await call(base, t.key, 'POST', '/jobs', undefined, bad);
  } else {
    await call(base, t.key, 'GET', `/jobs/no-such-${i}`);
  }
}

async function main(): Promise<void> {
  const behaviours: Behaviour[] = ['flaky', 'error500', 'reset', 'slow'];
  const hooks: Hook[] = [];
  const sandbox = await startSoakedSandbox();
  const base = sandbox.url;
  const rssStart = rssOf(sandbox.pid);
  const tenants: Tenant[] = [];
  for (let i = 0; i < TENANTS; i++) {
    const mine = [await startReceiver('healthy'), await startReceiver(behaviours[i % behaviours.length])];
    hooks.push(...mine);
    const t: Tenant = { key: `soak-${i}-${process.pid}`, hooks: mine, jobs: [], slots: [] };
    for (const hook of mine) await call(base, t.key, 'POST', '/sandbox/webhook-endpoints', { url: hook.url });
    tenants.push(t);
  }
  process.stdout.write(`soak: ${DURATION_S} s, ${CONCURRENCY} workers, ${TENANTS} tenants, server at ${base}\n`);

  const deadline = Date.now() + DURATION_S * 1000;
  let counter = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, w) => {
      while (Date.now() < deadline) await step(base, tenants[(w + counter++) % TENANTS], counter);
    }),
  );
  const workloadRequests = requests;

  // Drain: move every tenant's clock so each retry falls due, until nothing is pending.
  let pending = Infinity;
  for (let round = 0; round < 200 && pending > 0; round++) {
    await Promise.all(tenants.map((t) => call(base, t.key, 'POST', '/sandbox/clock/advance', { seconds: 10 })));
    await sleep(round < 5 ? 200 : 1100);
    const counts = await Promise.all(
      tenants.map(
        async (t) =>
          (await call(base, t.key, 'GET', '/sandbox/webhook-deliveries?status=PENDING&limit=1000')).body.length,
      ),
    );
    pending = counts.reduce((a, b) => a + b, 0);
  }

  // Every event of every job must have reached the healthy and the flaky receivers.
  let lost = pending;
  let events = 0;
  let deadLettered = 0;
  for (const t of tenants) {
    const jobs: Array<{ id: string; history: unknown[] }> = [];
    for (const id of t.jobs) {
      const res = await call(base, t.key, 'GET', `/jobs/${id}`);
      if (res.status === 200) jobs.push(res.body);
    }
    for (const job of jobs) {
      events += job.history.length;
      for (const hook of t.hooks.filter((h) => h.behaviour === 'healthy' || h.behaviour === 'flaky')) {
        lost += Math.max(0, job.history.length - (hook.events.get(job.id)?.size ?? 0));
      }
    }
    deadLettered += (await call(base, t.key, 'GET', '/sandbox/webhook-deliveries?status=DEAD_LETTERED&limit=1000')).body
      .length;
  }
  const rssEnd = rssOf(sandbox.pid);
  const fiveXx = [...statuses].filter(([s]) => s >= 500).reduce((a, [, n]) => a + n, 0);
  await sandbox.stop();
  agent.destroy();
  for (const hook of hooks) {
    hook.server.closeAllConnections();
    hook.server.close();
  }

  const byStatus = [...statuses]
    .sort(([a], [b]) => a - b)
    .map(([s, n]) => `${s}: ${n}`)
    .join(', ');
  process.stdout.write(
    [
      `requests:          ${requests} (${workloadRequests} in the workload, ${Math.round(workloadRequests / DURATION_S)}/s; ${byStatus})`,
      `connection errors: ${failures}`,
      `5xx:               ${fiveXx}`,
      `job events:        ${events} (each to a healthy and a flaky receiver; failing receivers dead-lettered ${deadLettered}+)`,
      `lost deliveries:   ${lost}`,
      `server RSS:        ${mb(rssStart)} at start, ${mb(rssEnd)} at end`,
      '',
    ].join('\n'),
  );
  process.exit(fiveXx === 0 && lost === 0 && failures === 0 ? 0 : 1);
}

main().catch((error) => {
  process.stderr.write(`soak: ${(error as Error).stack}\n`);
  process.exit(1);
});
