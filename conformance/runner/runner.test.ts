import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { catalogue } from '../checks/catalogue';
import { CheckFailure } from '../checks/failure';
import { exploreSelected, runConformance, runOne, selectChecks, SelectionError, UnreachableError } from './runner';
import type { Check } from '../checks/context';

const stub = (
  id: string,
  category: string,
  level: Check['level'],
  run: Check['run'] = async () => undefined,
): Check => ({ id, title: id, category, level, operations: [], statuses: {}, run });
const checks = [
  stub('A-ONE', 'alpha', 'contract'),
  stub('A-TWO', 'alpha', 'sandbox'),
  stub('B-ONE', 'beta', 'contract'),
  stub('C-ONE', 'gamma', 'sandbox'),
];
const ids = (selected: Check[]) => selected.map((c) => c.id);

describe('selecting checks', () => {
  it('keeps catalogue order and filters by level', () => {
    expect(ids(selectChecks(checks, {}))).toEqual(['A-ONE', 'A-TWO', 'B-ONE', 'C-ONE']);
    expect(ids(selectChecks(checks, { level: 'contract' }))).toEqual(['A-ONE', 'B-ONE']);
    expect(ids(selectChecks(checks, { level: 'sandbox' }))).toEqual(['A-TWO', 'C-ONE']);
  });
  it('takes ids and categories, repeated or comma-separated, in any case', () => {
    expect(ids(selectChecks(checks, { only: ['alpha'] }))).toEqual(['A-ONE', 'A-TWO']);
    expect(ids(selectChecks(checks, { only: ['b-one, C-ONE'] }))).toEqual(['B-ONE', 'C-ONE']);
    expect(ids(selectChecks(checks, { only: ['alpha', 'beta'], skip: ['a-two'] }))).toEqual(['A-ONE', 'B-ONE']);
    expect(ids(selectChecks(checks, { skip: ['alpha,gamma'], level: 'contract' }))).toEqual(['B-ONE']);
  });
  it('takes EXPLORE, the exploration, in --only and --skip: alone it selects no catalogue check', () => {
    expect(ids(selectChecks(checks, { only: ['EXPLORE'] }))).toEqual([]);
    expect(ids(selectChecks(checks, { only: ['explore,beta'] }))).toEqual(['B-ONE']);
    expect(ids(selectChecks(checks, { skip: ['Explore'] }))).toEqual(['A-ONE', 'A-TWO', 'B-ONE', 'C-ONE']);
    expect([
      exploreSelected({}),
      exploreSelected({ explore: true }),
      exploreSelected({ only: ['EXPLORE'] }),
      exploreSelected({ only: ['beta'], explore: true }),
      exploreSelected({ explore: true, skip: ['explore'] }),
      exploreSelected({ only: ['beta'] }),
    ]).toEqual([false, true, true, true, false, false]);
  });
  it('refuses a name that matches nothing rather than running nothing', () => {
    expect(() => selectChecks(checks, { only: ['ALPHA-TYPO'] })).toThrow(SelectionError);
    expect(() => selectChecks(checks, { skip: ['nope'] })).toThrow(/nope/);
    expect(() => selectChecks(checks, { level: 'everything' as never })).toThrow(SelectionError);
  });
});

describe('the catalogue', () => {
  it('has unique, well-formed ids and only known levels', () => {
    const all = catalogue.map((c) => c.id);
    expect(new Set(all).size).toBe(all.length);
    for (const check of catalogue) {
      expect(check.id).toMatch(/^[A-Z0-9]+(-[A-Z0-9]+)+$/);
      expect(['contract', 'sandbox']).toContain(check.level);
      expect(check.operations.length).toBeGreaterThan(0);
    }
  });
});

describe('running one check', () => {
  const config = {
    baseUrl: 'http://127.0.0.1:9',
    keys: { primary: 'k', second: 'k2', wrong: { unavailable: 'none known' } },
    timeoutMs: 1000,
    checkTimeoutMs: 1000,
    seed: 1,
    resetFirst: false,
  };

  it('passes a check that returns', async () => {
    expect((await runOne(stub('X-OK', 'x', 'contract'), config)).status).toBe('passed');
  });
  it('fails with expected and received when an assertion stops it', async () => {
    const result = await runOne(
      stub('X-FAIL', 'x', 'contract', async () => {
        throw new CheckFailure('nope', { expected: 1, received: 2 });
      }),
      config,
    );
    expect(result.status).toBe('failed');
    expect(result.failures).toEqual([{ message: 'nope', expected: 1, received: 2 }]);
  });
  it('fails on soft failures even when the check returns', async () => {
    const result = await runOne(
      stub('X-SOFT', 'x', 'contract', async (ctx) => {
        ctx.fail('one');
        ctx.fail('two');
      }),
      config,
    );
    expect([result.status, result.failures.map((f) => f.message)]).toEqual(['failed', ['one', 'two']]);
  });
  it('skips with the reason when no wrong key is known', async () => {
    const result = await runOne(
      stub('X-SKIP', 'x', 'contract', async (ctx) => {
        ctx.wrongKey();
      }),
      config,
    );
    expect([result.status, result.reason]).toEqual(['skipped', 'none known']);
  });
  it('turns an unexpected exception into a failure instead of crashing', async () => {
    const result = await runOne(
      stub('X-BUG', 'x', 'contract', async () => {
        JSON.parse('{');
      }),
      config,
    );
    expect(result.status).toBe('failed');
    expect(result.failures[0].message).toMatch(/unexpected error: SyntaxError/);
  });
  it('fails a check that outlives its deadline', async () => {
    const result = await runOne(
      stub('X-HANG', 'x', 'contract', () => new Promise<void>(() => undefined)),
      { ...config, checkTimeoutMs: 50 },
    );
    expect(result.status).toBe('failed');
    expect(result.failures[0].message).toMatch(/longer than 50 ms/);
  });
  it('refuses sandbox operations to a contract-level check', async () => {
    const result = await runOne(
      stub('X-SANDBOX', 'x', 'contract', async (ctx) => {
        await ctx.call('getClock');
      }),
      config,
    );
    expect(result.failures[0].message).toMatch(/may not call the sandbox operation getClock/);
  });
});

describe('a whole run', () => {
  let server: Server;
  let baseUrl: string;
  beforeAll(async () => {
    // Refuses every key: the runner must fall back to one shared tenant.
    server = createServer((_req, res) =>
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"code":"UNAUTHORIZED","message":"no"}'),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('reports every selected check, in catalogue order, with the summary', async () => {
    const seen: string[] = [];
    const run = await runConformance({
      baseUrl,
      apiKey: 'given',
      allowReset: true,
      checks: [
        ...checks,
        stub('D-FAIL', 'delta', 'contract', async () => {
          throw new CheckFailure('bad');
        }),
      ],
      skip: ['gamma'],
      onResult: (r) => seen.push(r.id),
    });
    expect(run.checks.map((c) => c.id)).toEqual(['A-ONE', 'A-TWO', 'B-ONE', 'D-FAIL']);
    expect([...seen].sort()).toEqual(['A-ONE', 'A-TWO', 'B-ONE', 'D-FAIL']);
    // One shared tenant, reset allowed: a sandbox check starts with a reset, which this server refuses.
    expect(run.tenantMode).toBe('shared');
    expect(run.summary).toEqual({ passed: 2, failed: 2, skipped: 0 });
    expect(run.checks[1].failures[0].exchange?.operationId).toBe('resetTenant');
  });
  it('uses the given key, and a random refused key as the wrong one, when keys are restricted', async () => {
    let keys: string[] = [];
    await runConformance({
      baseUrl,
      apiKey: 'given',
      checks: [
        stub('K-ONE', 'k', 'contract', async (ctx) => {
          keys = [ctx.apiKey, ctx.wrongKey()];
        }),
      ],
    });
    expect(keys[0]).toBe('given');
    expect(keys[1]).toMatch(/^conform_/);
  });
  it("gives a failed check a replay script that acts with the run's keys: the shared one and the refused one", async () => {
    let wrong = '';
    const run = await runConformance({
      baseUrl,
      apiKey: 'given',
      checks: [
        stub('R-FAIL', 'r', 'contract', async (ctx) => {
          wrong = ctx.wrongKey();
          await ctx.call('getJob', { pathParams: { job_id: 'j1' } });
          await ctx.call('getJob', { pathParams: { job_id: 'j1' }, apiKey: wrong });
          ctx.fail('failed on purpose');
        }),
      ],
    });
    const script = run.checks[0].script!;
    expect(script).toContain("KEY=${KEY:-'given'}");
    expect(script).toContain(`KEY2=\${KEY2:-'${wrong}'}`);
    expect(script.match(/^curl .* -H 'x-api-key: '"\$KEY"'' /gm)).toHaveLength(1);
    expect(script.match(/^curl .* -H 'x-api-key: '"\$KEY2"'' /gm)).toHaveLength(1);
  });
});

describe('an implementation that cannot be reached', () => {
  it('stops the run at once with the reason, rather than failing every check', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const run = runConformance({ baseUrl: `http://127.0.0.1:${port}`, apiKey: 'k', checks, timeoutMs: 1000 });
    await expect(run).rejects.toThrow(UnreachableError);
    await expect(run).rejects.toThrow(`cannot reach http://127.0.0.1:${port}: ECONNREFUSED`);
  });

  it('treats a server that never answers the probe the same way, after --timeout', async () => {
    const silent: Server = createServer(() => {
      /* never answers */
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const baseUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
      await expect(runConformance({ baseUrl, apiKey: 'k', checks, timeoutMs: 200 })).rejects.toThrow(
        /no HTTP answer within 200 ms/,
      );
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
