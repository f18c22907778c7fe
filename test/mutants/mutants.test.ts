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

/**
 * The kit's default. A mutant that drops a webhook costs one such wait, but other runs use it
 * (see outcomeOf), so it need not be short: longer, it leaves room for two runs at once on a
 * machine other builds keep busy.
 */
const KIT_TIMEOUT_MS = 5000;
/** Per mutant: a server start and a whole kit run, on a machine other builds keep busy. */
const MUTANT_TIMEOUT_MS = 60_000;
/** Mutant runs at once, and how far past the one a test asks for they may run (see outcomeOf). */
const MUTANTS_AT_ONCE = 2;
const READ_AHEAD = 4;
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

  /**
   * Each mutant runs once per test file, by whichever test asks first, so any test can run
   * alone. Most of a run is CPU, but a mutant that drops or never retries a webhook makes
   * the kit wait out KIT_TIMEOUT_MS: while one run waits, the next ones (up to READ_AHEAD
   * past the mutant asked for, MUTANTS_AT_ONCE at a time) run. Each run has a server,
   * tenants and a webhook receiver of its own, so the outcome is the same as alone.
   */
  const outcomes = new Map<string, Promise<RunResult>>();
  let running = 0;
  let asked = 0;
  const start = (mutant: Mutant): Promise<RunResult> => {
    let outcome = outcomes.get(mutant.id);
    if (!outcome) {
      running++;
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
      // Caught here so that a run started ahead fails only the test that reads it.
      void outcome
        .catch(() => undefined)
        .finally(() => {
          running--;
          readAhead();
        });
    }
    return outcome;
  };
  const readAhead = () => {
    for (const next of mutants.slice(asked + 1, asked + 1 + READ_AHEAD)) {
      if (running >= MUTANTS_AT_ONCE) return;
      if (!outcomes.has(next.id)) void start(next);
    }
  };
  const outcomeOf = (mutant: Mutant): Promise<RunResult> => {
    asked = mutants.indexOf(mutant);
    const outcome = start(mutant);
    readAhead();
    return outcome;
  };
  // A run started ahead for a test that was filtered out still ends before the file does.
  afterAll(async () => {
    await Promise.allSettled(outcomes.values());
  }, MUTANT_TIMEOUT_MS);

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
