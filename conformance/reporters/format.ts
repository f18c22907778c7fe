import type { CheckResult, RunResult } from '../checks/result';
import type { Failure } from '../checks/failure';

const MAX_DETAIL_CHARS = 4000;

export function show(value: unknown): string {
  if (value === undefined) return '(nothing)';
  const text = typeof value === 'string' ? value : (JSON.stringify(value, null, 2) ?? 'undefined');
  return text.length > MAX_DETAIL_CHARS
    ? `${text.slice(0, MAX_DETAIL_CHARS)}… (${text.length - MAX_DETAIL_CHARS} more characters)`
    : text;
}

/** A failure as plain text: message, expected, received, and the curl command that repeats the call. */
export function describeFailure(failure: Failure): string {
  const lines = [failure.message];
  if (failure.expected !== undefined) lines.push(`expected: ${show(failure.expected)}`);
  if (failure.received !== undefined) lines.push(`received: ${show(failure.received)}`);
  if (failure.exchange) {
    const response = failure.exchange.response;
    if (response) lines.push(`response: ${response.status} ${show(response.json ?? response.body)}`);
    else if (failure.exchange.error) lines.push(`response: none (${failure.exchange.error})`);
    lines.push(`reproduce: ${failure.exchange.curl}`);
  }
  return lines.join('\n');
}

/** The script that replays a failed check: every call of a catalogue check, the minimal sequence of EXPLORE. */
export function replayScriptOf(check: CheckResult): string | undefined {
  return check.script ?? check.explore?.script;
}

/**
 * Pages and JUnit files carry a replay script up to this size; a longer one (a sweep of a
 * hundred invalid bodies) is only in the JSON report and the file the console names: a
 * script cut short would not run.
 */
export const MAX_SCRIPT_CHARS_SHOWN = 20_000;

/** Where a script too long to show is, in a sentence. */
export function scriptElsewhere(script: string): string {
  return `the script of its ${callsIn(script)} calls (${Math.round(script.length / 1000)} KB) is in the JSON report (script) and the file the console names`;
}

/** How many calls a replay script makes. */
export function callsIn(script: string): number {
  return script.split('\n').filter((line) => line.startsWith('curl ')).length;
}

export function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

/** Failed first, then skipped, then passed; catalogue order within each. */
export function failuresFirst(checks: CheckResult[]): CheckResult[] {
  const rank = { failed: 0, skipped: 1, passed: 2 } as const;
  return checks
    .map((c, i) => ({ c, i }))
    .sort((a, b) => rank[a.c.status] - rank[b.c.status] || a.i - b.i)
    .map(({ c }) => c);
}

/** `N passed, N failed, N skipped`, and how many passed checks carry warnings when some do. */
export function summaryLine(run: RunResult): string {
  const warned = run.checks.filter((c) => c.warnings && c.warnings.length > 0).length;
  const count = `${run.summary.passed} passed, ${run.summary.failed} failed, ${run.summary.skipped} skipped`;
  return warned > 0 ? `${count}, ${warned} with warnings` : count;
}
