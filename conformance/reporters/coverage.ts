/**
 * What a report says of the documented (operation, status) pairs a run or the catalogue did
 * not exercise: each one named, grouped by status, with why when no check is meant to
 * provoke that status.
 */
import type { CoverageReport } from '../checks/result';

/** Why no check provokes a status, for the statuses that have such a reason. */
export const WHY_NOT_EXERCISED: Readonly<Record<string, string>> = {
  '408': 'only a fault rule answers it',
  '413': "the deployment's body limit, not the contract's",
  '429': "a deployment's tenant limits",
  '500': 'an internal error',
  '502': 'only a fault rule answers it',
  '503': 'a store outage, or a fault rule',
  '504': 'only a fault rule answers it',
};

export function whyNotExercised(status: string): string {
  return WHY_NOT_EXERCISED[status] ?? 'no check provokes it';
}

/** The pairs not exercised, by status in numeric order: every operation named. */
export function notExercisedByStatus(coverage: CoverageReport): Array<{ status: string; operations: string[] }> {
  const byStatus = new Map<string, string[]>();
  for (const pair of coverage.pairs)
    if (!pair.exercised) byStatus.set(pair.status, [...(byStatus.get(pair.status) ?? []), pair.operationId]);
  return [...byStatus.entries()]
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([status, operations]) => ({ status, operations }));
}

/** One console line: the count, then each status not exercised with on how many operations. */
export function coverageLine(coverage: CoverageReport): string {
  const missing = notExercisedByStatus(coverage);
  const statuses = missing.map((m) => `${m.status} on ${m.operations.length}`).join(', ');
  return `coverage: ${coverage.exercised} of ${coverage.documented} documented (operation, status) pairs exercised${
    missing.length > 0 ? `; not exercised: ${statuses} (every pair in the JSON and HTML reports)` : ''
  }`;
}
