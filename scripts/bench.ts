/**
 * `npm run bench [-- --quick] [--duration S] [--connections N] [--out FILE] [--only PARTS]`
 *
 * Measures, in one run on 127.0.0.1, with the same autocannon settings for every target,
 * each server in its own process (never in this load generator's):
 *   1. POST /jobs on the sandbox (full path: auth, parsing, validation, slot consumption,
 *      logging) against Prism's mock, a canned Express 201 (the framework's ceiling) and a
 *      canned node:http 201 (the runtime's ceiling);
 *   2. GET /jobs/{id} and POST /jobs/availability/v2 (and availability on Prism);
 *   3. memory per stored job (100,000 jobs over 100 tenants);
 *   4. webhook deliveries per second to a local receiver, and how many were lost;
 *   5. the conformance kit's wall time, and fixture orders per second;
 *   6. start-up: `serve` from spawn to its first /healthz answer, its idle RSS, and
 *      `lastmile conform --help` (median of 5 runs each).
 * With `--baseline DIR` (a checkout with its node_modules, e.g. of main), start-up and
 * POST /jobs are measured on it too, in the same run, as the "before" figures.
 * Prints a table and writes scripts/bench/results.json. `--only startup,create,memory,webhooks,kit`
 * measures only those parts and prints their figures as JSON, without writing results.json
 * (the committed file is always a whole run).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import autocannon from 'autocannon';
import { spec } from '../spec/contract';
import { freePort, killAll, ROOT, startProcess, startSandbox, stopProcess } from './lib/processes';
import { measureStartup } from './bench/startup';
import { table, type BenchResults, type LoadFigures } from './bench/table';
import { cpuMs } from './bench/cpu';
import { createRequests, heldSlots, json, ORDER, post, WEEK } from './bench/create-load';
import { hasOption, optionValue } from './lib/args';

const QUICK = hasOption('--quick');
const DURATION = Number(optionValue('--duration', QUICK ? '1' : '10'));
const CONNECTIONS = Number(optionValue('--connections', '50'));
const PIPELINING = 1;
const OUT = optionValue('--out', join(__dirname, 'bench', 'results.json'));
const MEMORY_JOBS = Number(optionValue('--memory-jobs', QUICK ? '20000' : '100000'));
const WEBHOOK_EVENTS = Number(optionValue('--webhook-events', QUICK ? '2000' : '20000'));
const FIXTURE_ORDERS = Number(optionValue('--fixture-orders', QUICK ? '20000' : '200000'));
const TSX = ['-r', 'tsx/cjs'];
const STARTUP_RUNS = Number(optionValue('--startup-runs', QUICK ? '2' : '5'));
const BASELINE = hasOption('--baseline') ? optionValue('--baseline', '') : null;
const PARTS = ['startup', 'create', 'memory', 'webhooks', 'kit'] as const;
const ONLY = hasOption('--only') ? optionValue('--only', '').split(',') : null;
if (ONLY && (ONLY.length === 0 || ONLY.some((part) => !(PARTS as readonly string[]).includes(part)))) {
  process.stderr.write(`--only takes a comma-separated list of: ${PARTS.join(', ')}\n`);
  process.exit(2);
}
const measures = (part: (typeof PARTS)[number]) => ONLY === null || ONLY.includes(part);

/** Commands run to their end (conformance, fixtures); servers are tracked by scripts/lib/processes. */
const children: ChildProcess[] = [];

const LISTENING = /listening on (http:\/\/\S+)/i;
const PRISM_READY = /Prism is listening on (http:\/\/[\d.:]+)/;

/** Load on a server; with its process, also the server's CPU time per request. */
async function load(opts: autocannon.Options, server?: { proc: { pid?: number } }): Promise<LoadFigures> {
  const cpuBefore = cpuMs(server?.proc.pid);
  const result = await autocannon({ connections: CONNECTIONS, pipelining: PIPELINING, duration: DURATION, ...opts });
  const cpuAfter = cpuMs(server?.proc.pid);
  const figures: LoadFigures = {
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    requests: result.requests.total,
  };
  if (cpuBefore !== null && cpuAfter !== null && result.requests.total > 0)
    figures.cpuUsPerRequest = Math.round(((cpuAfter - cpuBefore) * 1000) / result.requests.total);
  return figures;
}

const AVAILABILITY = spec.components.examples.AvailabilityRequest.value;
/** POST /jobs on a fresh sandbox of a checkout, every request on a fresh slot; the sandbox stays up. */
async function createLoad(
  root: string,
  label: string,
): Promise<{ sandbox: Awaited<ReturnType<typeof startSandbox>>; figures: LoadFigures }> {
  const sandbox = await startSandbox(['--log-level', 'info'], label, root);
  const expected = Math.max(2000, Math.ceil(DURATION * 15000));
  const pairs = await heldSlots(sandbox.url, 'bench', expected);
  await load({ url: sandbox.url, duration: 1, requests: createRequests(pairs.splice(0, 3000)) }); // warm-up
  const figures = await load({ url: sandbox.url, requests: createRequests(pairs) }, sandbox);
  if (figures.requests > pairs.length)
    process.stderr.write(`warning: ${figures.requests} creates for ${pairs.length} slots; later ones were 409s\n`);
  return { sandbox, figures };
}

async function benchCreate(results: Record<string, unknown>) {
  const body = JSON.stringify({ ...ORDER, slot_id: 'slt_bench' });
  const headers = { 'content-type': 'application/json', 'x-api-key': 'bench' };

  if (BASELINE) {
    const before = await createLoad(BASELINE, 'baseline');
    await stopProcess(before.sandbox);
    results.baseline = { ...(results.baseline as object), root: BASELINE, create: before.figures };
  }
  const { sandbox, figures: ours } = await createLoad(ROOT, 'sandbox');

  // GET /jobs/{id} on jobs that exist; availability on the same server.
  const probe = await post(`${sandbox.url}/jobs/availability/v2`, 'bench-get', AVAILABILITY);
  const created = await post(`${sandbox.url}/jobs`, 'bench-get', { ...ORDER, slot_id: probe[0].id });
  const getJob = await load(
    { url: `${sandbox.url}/jobs/${created.job_id}`, headers: { 'x-api-key': 'bench-get' } },
    sandbox,
  );
  const availability = await load(
    {
      url: `${sandbox.url}/jobs/availability/v2`,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'bench-avail' },
      body: JSON.stringify(AVAILABILITY),
    },
    sandbox,
  );
  await stopProcess(sandbox);

  const prism = await startProcess(
    [
      join(ROOT, 'node_modules', '@stoplight', 'prism-cli', 'dist', 'index.js'),
      'mock',
      join(ROOT, 'spec', 'openapi.yaml'),
      '--port',
      String(await freePort()),
      '--host',
      '127.0.0.1',
    ],
    PRISM_READY,
    'prism',
  );
  await load({ url: `${prism.url}/jobs`, method: 'POST', headers, body, duration: 1 });
  const prismCreate = await load({ url: `${prism.url}/jobs`, method: 'POST', headers, body }, prism);
  const prismAvailability = await load(
    { url: `${prism.url}/jobs/availability/v2`, method: 'POST', headers, body: JSON.stringify(AVAILABILITY) },
    prism,
  );
  await stopProcess(prism);

  const ceilings: Record<string, LoadFigures> = {};
  for (const kind of ['express', 'bare']) {
    const server = await startProcess([join(__dirname, 'bench', 'ceilings.js'), kind], LISTENING, kind);
    await load({ url: `${server.url}/jobs`, method: 'POST', headers, body, duration: 1 });
    ceilings[kind] = await load({ url: `${server.url}/jobs`, method: 'POST', headers, body }, server);
    await stopProcess(server);
  }
  results.create = { sandbox: ours, prism: prismCreate, expressCeiling: ceilings.express, bareNode: ceilings.bare };
  results.ratios = {
    oursOverPrism: round(ours.rps / prismCreate.rps),
    oursOverExpressCeiling: round(ours.rps / ceilings.express.rps),
    oursOverBare: round(ours.rps / ceilings.bare.rps),
    availabilityOursOverPrism: round(availability.rps / prismAvailability.rps),
  };
  // CPU per request is steadier than throughput on a busy machine: the same ratio in its terms.
  if (ours.cpuUsPerRequest && ceilings.express.cpuUsPerRequest && prismCreate.cpuUsPerRequest) {
    results.cpuRatios = {
      oursOverPrism: round(prismCreate.cpuUsPerRequest / ours.cpuUsPerRequest),
      oursOverExpressCeiling: round(ceilings.express.cpuUsPerRequest / ours.cpuUsPerRequest),
    };
  }
  results.getJob = { sandbox: getJob };
  results.availability = { sandbox: availability, prism: prismAvailability };
}

/** Runs a command to its end; with `countLines`, stdout is only counted (it may be gigabytes). */
function runToEnd(
  command: string[],
  label: string,
  countLines = false,
): Promise<{ stdout: string; lines: number; ms: number; code: number | null }> {
  const started = performance.now();
  const proc = spawn(process.execPath, command, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(proc);
  let stdout = '';
  let stderr = '';
  let lines = 0;
  proc.stdout.on('data', (c: Buffer) => {
    if (!countLines) stdout += c.toString();
    for (let i = c.indexOf(10); i !== -1; i = c.indexOf(10, i + 1)) lines += 1;
  });
  proc.stderr.on('data', (c) => {
    stderr += c;
  });
  return new Promise((resolve, reject) => {
    proc.on('error', reject);
    proc.on('exit', (code) => {
      if (code !== 0 && label !== 'conformance') reject(new Error(`${label} exited ${code}: ${stderr.slice(-500)}`));
      else resolve({ stdout, lines, ms: performance.now() - started, code });
    });
  });
}

async function benchMemory(results: Record<string, unknown>) {
  const { stdout } = await runToEnd(
    ['--expose-gc', ...TSX, join(__dirname, 'bench', 'memory.ts'), String(MEMORY_JOBS), '100'],
    'memory',
  );
  results.memory = JSON.parse(stdout.trim().split('\n').pop()!);
}

async function benchWebhooks(results: Record<string, unknown>) {
  const receiver = await startProcess([join(__dirname, 'bench', 'receiver.js')], LISTENING, 'receiver');
  const sandbox = await startSandbox(['--log-level', 'warn']);
  const key = 'bench-webhooks';
  await post(`${sandbox.url}/sandbox/webhook-endpoints`, key, { url: `${receiver.url}/hooks` });
  const jobs = Math.ceil(WEBHOOK_EVENTS / 9); // CREATED and 8 steps per job
  let emitted = 0;
  const started = Date.now();
  const queue = Array.from({ length: jobs }, (_, i) => i);
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      let slots: string[] = [];
      for (let i = queue.pop(); i !== undefined; i = queue.pop()) {
        if (slots.length === 0)
          slots = (await post(`${sandbox.url}/jobs/availability/v2`, key, WEEK)).map((s: { id: string }) => s.id);
        const { job_id } = await post(`${sandbox.url}/jobs`, key, {
          ...ORDER,
          slot_id: slots.pop(),
          client_reference: `W-${i}`,
        });
        await post(`${sandbox.url}/sandbox/jobs/${job_id}/advance`, key, { to: 'CLIENT_RECEIVED' });
        emitted += 9;
      }
    }),
  );
  let count = await json(`${receiver.url}/count`);
  const deadline = Date.now() + 60_000;
  while (count.distinct < emitted && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    count = await json(`${receiver.url}/count`);
  }
  const seconds = (count.lastAt - started) / 1000;
  results.webhooks = {
    events: emitted,
    delivered: count.distinct,
    attempts: count.received,
    lost: emitted - count.distinct,
    seconds: round(seconds),
    perSecond: Math.round(count.distinct / seconds),
  };
  await stopProcess(sandbox);
  await stopProcess(receiver);
}

async function benchConformanceAndFixtures(results: Record<string, unknown>) {
  const sandbox = await startSandbox(['--log-level', 'warn']);
  const conform = await runToEnd(
    [join(ROOT, 'bin', 'lastmile.js'), 'conform', '--base-url', sandbox.url, '--api-key', 'bench-conformance'],
    'conformance',
  );
  const summary = /(\d+) passed, (\d+) failed, (\d+) skipped/.exec(conform.stdout);
  results.conformance = { seconds: round(conform.ms / 1000), exitCode: conform.code, summary: summary?.[0] ?? null };
  await stopProcess(sandbox);
  const fixtures = await runToEnd(
    [
      join(ROOT, 'bin', 'lastmile.js'),
      'fixtures',
      '--count',
      String(FIXTURE_ORDERS),
      '--format',
      'ndjson',
      '--seed',
      '1',
    ],
    'fixtures',
    true,
  );
  const { lines } = fixtures;
  results.fixtures = {
    orders: lines,
    seconds: round(fixtures.ms / 1000),
    perSecond: Math.round(lines / (fixtures.ms / 1000)),
  };
}

async function benchStartup(results: Record<string, unknown>) {
  const [ours, before] = await measureStartup(BASELINE ? [ROOT, BASELINE] : [ROOT], STARTUP_RUNS);
  results.startup = { ...ours, runs: STARTUP_RUNS, fromSources: process.env.LASTMILE_FROM_SOURCE === '1' };
  if (before) results.baseline = { ...(results.baseline as object), startup: before };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

async function main() {
  const results: Record<string, unknown> = {
    machine: {
      cpus: cpus().length,
      cpu: cpus()[0]?.model,
      memoryGb: round(totalmem() / 1024 ** 3),
      node: process.version,
    },
    settings: { durationSeconds: DURATION, connections: CONNECTIONS, pipelining: PIPELINING, quick: QUICK },
    at: new Date().toISOString(),
  };
  if (measures('startup')) await benchStartup(results);
  if (measures('create')) await benchCreate(results);
  if (measures('memory')) await benchMemory(results);
  if (measures('webhooks')) await benchWebhooks(results);
  if (measures('kit')) await benchConformanceAndFixtures(results);
  if (ONLY) {
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    return;
  }
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, `${JSON.stringify(results, null, 2)}\n`);
  // Built up figure by figure above; its shape is the one the summary reads.
  process.stdout.write(`${table(results as unknown as BenchResults)}\n\nwritten to ${OUT}\n`);
}

main()
  .then(
    () => process.exit(0),
    (error) => {
      process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
      for (const child of children) child.kill('SIGKILL');
      killAll();
      process.exit(1);
    },
  )
  .finally(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    killAll();
  });
