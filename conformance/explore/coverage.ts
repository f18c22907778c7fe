/**
 * Which documented (operation, status) pairs a run exercised: every answer the kit
 * received, from the catalogue's checks and from exploration, matched against the spec.
 */
import { operations } from '../../spec/contract';
import type { CheckResult, CoverageReport } from '../checks/result';

/** Statuses no conformance run is expected to provoke: a deployment's body limit, tenant limits, internal errors, a store outage. */
export const OUT_OF_REACH = new Set(['413', '429', '500', '503']);

export function coverageOf(checks: CheckResult[], explored: Set<string> = new Set()): CoverageReport {
  const by = new Map<string, Set<string>>();
  const note = (pair: string, who: string) => {
    if (!by.has(pair)) by.set(pair, new Set());
    by.get(pair)!.add(who);
  };
  for (const check of checks) {
    if (check.id === 'EXPLORE') continue;
    for (const exchange of check.exchanges)
      if (exchange.response) note(`${exchange.operationId} ${exchange.response.status}`, check.id);
  }
  for (const pair of explored) note(pair, 'EXPLORE');
  const pairs = operations.flatMap((op) =>
    Object.keys(op.responses).map((status) => {
      const who = [...(by.get(`${op.operationId} ${status}`) ?? [])];
      return {
        operationId: op.operationId,
        status,
        exercised: who.length > 0,
        by: who.length > 3 ? [...who.slice(0, 3), `+${who.length - 3}`] : who,
      };
    }),
  );
  return { documented: pairs.length, exercised: pairs.filter((p) => p.exercised).length, pairs };
}

/** The pairs a run should reach and did not. */
export function missingPairs(coverage: CoverageReport): string[] {
  return coverage.pairs
    .filter((p) => !p.exercised && !OUT_OF_REACH.has(p.status))
    .map((p) => `${p.operationId} ${p.status}`);
}
