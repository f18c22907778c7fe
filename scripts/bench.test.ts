/**
 * The benchmark runs end to end in its shortest form and produces every figure. Only that
 * the figures exist is checked, never their values: the machines are shared and noisy.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

jest.setTimeout(120_000);

const positive = expect.any(Number);
const load = expect.objectContaining({
  rps: positive,
  p50: positive,
  p99: positive,
  non2xx: 0,
  errors: 0,
  requests: positive,
});

function bench(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [require.resolve('tsx/cli'), join(__dirname, 'bench.ts'), ...args],
      { cwd: join(__dirname, '..'), maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}

// The short runs start with the whole one: each spends most of its time on processes of its own.
let onlyMemory: { out: string; run: ReturnType<typeof bench> };
let unknownPart: ReturnType<typeof bench>;
beforeAll(() => {
  const out = join(mkdtempSync(join(tmpdir(), 'lastmile-bench-')), 'results.json');
  onlyMemory = { out, run: bench(['--quick', '--only', 'memory', '--memory-jobs', '1000', '--out', out]) };
  unknownPart = bench(['--only', 'memory,speed']);
});
// Also when a filter left their tests out.
afterAll(() => Promise.all([onlyMemory.run, unknownPart]));

it('npm run bench -- --quick produces every figure', async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'lastmile-bench-')), 'results.json');
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(
      process.execPath,
      [
        require.resolve('tsx/cli'),
        join(__dirname, 'bench.ts'),
        '--quick',
        '--duration',
        '1',
        '--connections',
        '10',
        '--memory-jobs',
        '2000',
        '--startup-runs',
        '1',
        '--webhook-events',
        '180',
        '--fixture-orders',
        '2000',
        '--out',
        out,
      ],
      { cwd: join(__dirname, '..'), maxBuffer: 16 * 1024 * 1024 },
      (error, text, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(text)),
    );
  });
  const results = JSON.parse(readFileSync(out, 'utf8'));
  expect(results.create).toEqual({ sandbox: load, prism: load, expressCeiling: load, bareNode: load });
  expect(results.ratios).toEqual({
    oursOverPrism: positive,
    oursOverExpressCeiling: positive,
    oursOverBare: positive,
    availabilityOursOverPrism: positive,
  });
  expect(results.cpuRatios).toEqual({ oursOverPrism: positive, oursOverExpressCeiling: positive });
  expect(results.create.sandbox.cpuUsPerRequest).toEqual(positive);
  expect(results.startup).toMatchObject({ healthzMs: positive, conformHelpMs: positive, runs: 1 });
  expect(results.startup.runsMs).toHaveLength(1);
  expect(results.getJob.sandbox).toEqual(load);
  expect(results.availability).toEqual({ sandbox: load, prism: load });
  expect(results.memory).toMatchObject({
    jobs: 2000,
    tenants: 100,
    rssPerJob: expect.any(Number),
    heapPerJob: expect.any(Number),
  });
  expect(results.webhooks).toMatchObject({ events: 180, delivered: 180, lost: 0, perSecond: positive });
  expect(results.conformance).toMatchObject({
    seconds: positive,
    exitCode: 0,
    summary: expect.stringMatching(/^\d+ passed, 0 failed, \d+ skipped$/),
  });
  expect(results.fixtures).toMatchObject({ orders: 2000, perSecond: positive });
  for (const label of [
    'POST /jobs, sandbox (full path)',
    'POST /jobs, prism mock',
    'ratios: ours/prism',
    'memory:',
    'webhooks:',
    'conformance:',
    'fixtures:',
    'start-up: /healthz',
  ]) {
    expect(stdout).toContain(label);
  }
});

it('--only measures the parts named, prints them and leaves the results file alone', async () => {
  const { code, stdout } = await onlyMemory.run;
  expect(code).toBe(0);
  const printed = JSON.parse(stdout.slice(stdout.indexOf('{')));
  expect(printed.memory).toMatchObject({ jobs: 1000, heapPerJob: expect.any(Number) });
  expect(printed.create).toBeUndefined();
  expect(printed.webhooks).toBeUndefined();
  expect(() => readFileSync(onlyMemory.out)).toThrow();
});

it('--only with a part it does not know is a usage error', async () => {
  const { code, stderr } = await unknownPart;
  expect(code).toBe(2);
  expect(stderr).toContain('--only takes a comma-separated list of: startup, create, memory, webhooks, kit');
});
