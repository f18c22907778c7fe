import type { CheckResult, RunResult } from '../types';
import { describeFailure } from './format';

const MAX_FAILURES_SHOWN = 10;

function indent(text: string, prefix: string): string {
  return text.split('\n').map((line) => `${prefix}${line}`).join('\n');
}

/** One line per check, and the failures under it. */
export function formatCheckLine(result: CheckResult): string {
  const label = { passed: 'PASS', failed: 'FAIL', skipped: 'SKIP' }[result.status];
  let line = `${label} ${result.id} ${result.title} (${Math.round(result.durationMs)} ms)`;
  if (result.status === 'skipped') line += `\n     skipped: ${result.reason}`;
  if (result.status === 'failed') {
    const shown = result.failures.slice(0, MAX_FAILURES_SHOWN).map((f) => indent(describeFailure(f), '     '));
    if (result.failures.length > MAX_FAILURES_SHOWN) shown.push(`     … and ${result.failures.length - MAX_FAILURES_SHOWN} more failures (see the JSON or HTML report)`);
    line += `\n${shown.join('\n\n')}`;
  }
  return line;
}

export function summaryLine(run: RunResult): string {
  return `${run.summary.passed} passed, ${run.summary.failed} failed, ${run.summary.skipped} skipped`;
}

/** The lines after the last check: what ran, how long it took, then the closing count. */
export function formatClosing(run: RunResult): string {
  return [
    '',
    `${run.checks.length} checks against ${run.baseUrl} (level ${run.level}, ${run.tenantMode} tenants) in ${(run.durationMs / 1000).toFixed(2)} s`,
    summaryLine(run),
  ].join('\n');
}
