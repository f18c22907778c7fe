/**
 * The kit against `lastmile mock` (Prism serving the spec's examples, no state): its
 * verdict must be the committed classification in mock-classification.ts, check by
 * check, with the reason each check fails or cannot apply. A changed example, a new
 * check or a new Prism behaviour shows here first.
 */
import { startPrismMock } from '../../cli/mock';
import { catalogue, runConformance, type CheckResult, type RunResult } from '../../conformance';
import { mockClassification } from './mock-classification';
import { prismReady, type RunningPrism } from './prism';

function evidence(check: CheckResult): string {
  if (check.status === 'skipped') return check.reason ?? '';
  const first = check.failures[0];
  return first ? `${first.message} ${JSON.stringify(first.received ?? '')}` : '';
}

describe('the kit against the stateless mock', () => {
  let prism: RunningPrism;
  let run: RunResult;

  beforeAll(async () => {
    prism = await prismReady(startPrismMock({ port: 0, host: '127.0.0.1' }, 'pipe'));
    // A mock keeps no data, so resetting its one shared tenant loses nothing.
    run = await runConformance({ baseUrl: prism.url, apiKey: 'mock-key', timeoutMs: 3000, allowReset: true });
  }, 60_000);

  afterAll(() => prism?.stop());

  it('classifies every check of the catalogue, and nothing else', () => {
    expect(Object.keys(mockClassification).sort()).toEqual(catalogue.map((c) => c.id).sort());
  });

  it('gives each check the committed verdict', () => {
    const verdicts = Object.fromEntries(run.checks.map((c) => [c.id, c.status]));
    const committed = Object.fromEntries(Object.entries(mockClassification).map(([id, v]) => [id, v.status]));
    expect(verdicts).toEqual(committed);
  });

  it('fails or skips each check for the committed reason', () => {
    const unexplained = run.checks
      .filter((c) => c.status !== 'passed')
      .filter((c) => !mockClassification[c.id]?.shows?.test(evidence(c)))
      .map((c) => ({ id: c.id, expected: String(mockClassification[c.id]?.shows), got: evidence(c).slice(0, 400) }));
    expect(unexplained).toEqual([]);
  });

  it('runs in shared-tenant mode: a mock answers an unknown job with its example, neither 404 nor 401', () => {
    expect(run.tenantMode).toBe('shared');
  });
});
