/**
 * The kit proves its power: it passes the reference server, and it fails every mutant in
 * test/mutants/catalogue.ts with exactly the checks the catalogue names.
 *
 * Exactly, not "at least": each run is in-process and deterministic (fresh tenants, the
 * tenant clock advanced, never waited on), so the set of failing checks is a function of
 * the mutant and the catalogue. Equality also catches what containment would let through:
 * a check that fails for an unrelated reason (state leaking between mutants, a flaky
 * wait), and collateral that silently grows or shrinks when a check changes.
 */
import { catalogue, runConformance, type RunResult } from '../../conformance';
import { mutants, type Mutant } from './catalogue';
import { patchedServer } from './tools';

/** Short: a mutant that drops a webhook must not cost the default 5 s per wait. */
const KIT_TIMEOUT_MS = 3000;
/** Per mutant: a server start and a whole kit run, on a machine other builds keep busy. */
const MUTANT_TIMEOUT_MS = 60_000;
/** The two checks that need a key the implementation refuses; the sandbox accepts any. */
const SKIPPED_WITH_OPEN_TENANTS = ['AUTH-WRONG-KEY-401', 'AUTH-WRONG-KEY-SANDBOX-401'];

const ids = (run: RunResult, status: 'failed' | 'skipped') =>
  run.checks
    .filter((c) => c.status === status)
    .map((c) => c.id)
    .sort();

function explain(run: RunResult): string[] {
  return run.checks
    .filter((c) => c.status === 'failed')
    .map(
      (c) =>
        `${c.id}: ${c.failures
          .map((f) => f.message)
          .join('; ')
          .slice(0, 300)}`,
    );
}

describe('the conformance kit against the reference server and its mutants', () => {
  it('passes the unmutated reference server', async () => {
    const server = await patchedServer(() => undefined);
    try {
      const run = await runConformance({ baseUrl: server.url, apiKey: 'mutation-baseline', timeoutMs: KIT_TIMEOUT_MS });
      expect(explain(run)).toEqual([]);
      expect(ids(run, 'skipped')).toEqual(SKIPPED_WITH_OPEN_TENANTS);
      expect(run.checks).toHaveLength(catalogue.length);
    } finally {
      await server.close();
    }
  }, 30_000);

  it('has at least 20 mutants, each named once, each expected to die by checks that exist', () => {
    expect(mutants.length).toBeGreaterThanOrEqual(20);
    expect(new Set(mutants.map((m) => m.id)).size).toBe(mutants.length);
    const known = new Set(catalogue.map((c) => c.id));
    for (const mutant of mutants) {
      expect([mutant.id, mutant.killedBy.length > 0, mutant.killedBy.filter((id) => !known.has(id))]).toEqual([
        mutant.id,
        true,
        [],
      ]);
    }
  });

  /** Each mutant runs once per test file, by whichever test asks first, so any test can run alone. */
  const outcomes = new Map<string, Promise<RunResult>>();
  const outcomeOf = (mutant: Mutant): Promise<RunResult> => {
    let outcome = outcomes.get(mutant.id);
    if (!outcome) {
      outcome = (async () => {
        const server = await mutant.start();
        try {
          return await runConformance({
            baseUrl: server.url,
            apiKey: `mutant-${mutant.id.toLowerCase()}`,
            timeoutMs: KIT_TIMEOUT_MS,
          });
        } finally {
          await server.close();
        }
      })();
      outcomes.set(mutant.id, outcome);
    }
    return outcome;
  };

  it.each(mutants.map((m) => [m.id, m] as const))(
    'kills %s',
    async (_id, mutant) => {
      const run = await outcomeOf(mutant);
      const failed = ids(run, 'failed');
      expect({ failed, why: failed.length === 0 ? 'survived' : explain(run) }).toEqual({
        failed: [...mutant.killedBy].sort(),
        why: expect.anything(),
      });
    },
    MUTANT_TIMEOUT_MS,
  );

  it(
    'scores 100 %: every mutant killed',
    async () => {
      const killed: string[] = [];
      for (const mutant of mutants) {
        if (ids(await outcomeOf(mutant), 'failed').length > 0) killed.push(mutant.id);
      }
      expect(`${killed.length}/${mutants.length}`).toBe(`${mutants.length}/${mutants.length}`);
    },
    MUTANT_TIMEOUT_MS * mutants.length,
  );
});
