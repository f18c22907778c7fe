/**
 * The kit is neutral: a correct implementation that uses the contract's freedoms passes.
 * The counterpart of test/mutants (variants that break a promise must fail): here the
 * reference server behind a proxy that spells, orders, omits, adds and names things
 * otherwise, one freedom at a time and all at once, must pass every check.
 */
import { catalogue, runConformance, type RunResult } from '../../conformance';
import { FREEDOMS, type Freedom } from './rewrite';
import { startVariant } from './proxy';

const KIT_TIMEOUT_MS = 3000;
/** The two checks that need a key the implementation refuses; the sandbox accepts any. */
const SKIPPED_WITH_OPEN_TENANTS = ['AUTH-WRONG-KEY-401', 'AUTH-WRONG-KEY-SANDBOX-401'];

const ids = (run: RunResult, status: 'failed' | 'skipped') =>
  run.checks
    .filter((c) => c.status === status)
    .map((c) => c.id)
    .sort();
const explain = (run: RunResult) =>
  run.checks
    .filter((c) => c.status === 'failed')
    .map(
      (c) =>
        `${c.id}: ${c.failures
          .map((f) => `${f.message} ${JSON.stringify(f.received ?? '').slice(0, 300)}`)
          .join('; ')
          .slice(0, 600)}`,
    );

const variants: Array<[string, Freedom[]]> = [
  ...FREEDOMS.map((f): [string, Freedom[]] => [f, [f]]),
  ['every freedom at once', FREEDOMS],
];

describe('the conformance kit against variants that use the freedoms the contract allows', () => {
  it.each(variants)(
    'passes the reference server with %s',
    async (_name, freedoms) => {
      const variant = await startVariant(freedoms);
      try {
        const run = await runConformance({
          baseUrl: variant.url,
          apiKey: `variant-${freedoms.join('-')}`,
          timeoutMs: KIT_TIMEOUT_MS,
        });
        expect(explain(run)).toEqual([]);
        expect(ids(run, 'skipped')).toEqual(SKIPPED_WITH_OPEN_TENANTS);
        expect(run.checks).toHaveLength(catalogue.length);
        // The variant really varied: each of its freedoms was used, and no other.
        for (const freedom of FREEDOMS)
          expect([freedom, variant.usage[freedom] > 0]).toEqual([freedom, freedoms.includes(freedom)]);
      } finally {
        await variant.close();
      }
    },
    60_000,
  );

  it('passes an implementation that keeps microseconds, writes -06:00 and retries after a jittered wait', async () => {
    // Every wait half a millisecond longer than the schedule says: a first retry due at
    // 1.0005 s, which a kit that reads date-times to the millisecond moves the clock
    // one second towards, and so just short of.
    const variant = await startVariant(['date-times'], { webhookRetryJitter: 0.0005 }, { random: () => 1 });
    try {
      const run = await runConformance({
        baseUrl: variant.url,
        apiKey: 'variant-microseconds',
        timeoutMs: KIT_TIMEOUT_MS,
        only: [
          'WEBHOOK-RETRY',
          'WEBHOOK-DEAD-LETTER',
          'WEBHOOK-IN-ORDER-WAITING',
          'SLOT-EXPIRED-417',
          'SLOT-EXTEND-TTL',
        ],
        explore: true,
        exploreRuns: 5,
        seed: 3,
      });
      expect(explain(run)).toEqual([]);
      expect(run.checks.filter((c) => c.status === 'passed').map((c) => c.id)).toEqual([
        'SLOT-EXPIRED-417',
        'SLOT-EXTEND-TTL',
        'WEBHOOK-RETRY',
        'WEBHOOK-IN-ORDER-WAITING',
        'WEBHOOK-DEAD-LETTER',
        'EXPLORE',
      ]);
      expect(variant.usage['date-times']).toBeGreaterThan(0);
    } finally {
      await variant.close();
    }
  }, 120_000);

  it('explores through every freedom at once and finds nothing wrong', async () => {
    const variant = await startVariant(FREEDOMS);
    try {
      const run = await runConformance({
        baseUrl: variant.url,
        apiKey: 'variant-explore',
        timeoutMs: KIT_TIMEOUT_MS,
        only: ['SANDBOX-HEALTH'],
        explore: true,
        exploreRuns: 10,
        seed: 7,
      });
      const explored = run.checks.find((c) => c.id === 'EXPLORE');
      expect([
        explored?.status,
        explored?.failures.map(
          (f) =>
            `${f.message} expected ${JSON.stringify(f.expected)} received ${JSON.stringify(f.received).slice(0, 400)}`,
        ),
      ]).toEqual(['passed', []]);
      expect(explain(run)).toEqual([]);
    } finally {
      await variant.close();
    }
  }, 120_000);
});
