import type { CheckResult, RunResult } from '../checks/result';
import type { Failure } from '../checks/failure';
import { callsIn, replayScriptOf, summaryLine } from './format';
import { coverageLine } from './coverage';

/** A terminal is for reading: the JSON and HTML reports keep everything else. */
const MAX_FAILURES_SHOWN = 5;
const MAX_VALUE_CHARS = 400;
const INDENT = '     ';

export interface ConsoleOptions {
  /** The reports this run writes (kind and file), so that the console points only at those. */
  reports?: Array<{ kind: string; file: string }>;
  /** Where the check's replay script was written, if it was. */
  scriptFile?: string;
}

/** One line of JSON, cut at MAX_VALUE_CHARS. */
function brief(value: unknown): string {
  if (value === undefined) return '(nothing)';
  let text: string;
  try {
    text = typeof value === 'string' ? value : (JSON.stringify(value) ?? 'undefined');
  } catch {
    text = '(a value JSON cannot show)';
  }
  return text.length > MAX_VALUE_CHARS
    ? `${text.slice(0, MAX_VALUE_CHARS)}… (${text.length - MAX_VALUE_CHARS} more characters)`
    : text;
}

/** Message, expected and received; the response only when nothing else says what came back. */
function describeBriefly(failure: Failure): string[] {
  // A multi-line message (an explore failure's steps) is split, so that every line gets the indent.
  const lines = failure.message.split('\n');
  if (failure.expected !== undefined) lines.push(`expected: ${brief(failure.expected)}`);
  if (failure.received !== undefined) lines.push(`received: ${brief(failure.received)}`);
  else if (failure.exchange?.response)
    lines.push(
      `received: ${failure.exchange.response.status} ${brief(failure.exchange.response.json ?? failure.exchange.response.body)}`,
    );
  else if (failure.exchange?.error) lines.push(`received: no response (${failure.exchange.error})`);
  return lines;
}

function whereTheRestIs(reports: ConsoleOptions['reports']): string {
  const full = (reports ?? []).filter((r) => r.kind === 'json' || r.kind === 'html');
  return full.length > 0
    ? `see ${full.map((r) => r.file).join(' or ')}`
    : 'add --report html=FILE or json=FILE to keep them all';
}

/**
 * One line per check; under a failure, expected against received, one curl that repeats the
 * failing call and where the script that replays all of the check's calls is.
 */
export function formatCheckLine(result: CheckResult, options: ConsoleOptions = {}): string {
  const warnings = result.warnings ?? [];
  const label =
    result.status === 'passed' && warnings.length > 0
      ? 'WARN'
      : { passed: 'PASS', failed: 'FAIL', skipped: 'SKIP' }[result.status];
  let line = `${label} ${result.id} ${result.title} (${Math.round(result.durationMs)} ms)`;
  if (result.status === 'skipped') line += `\n${INDENT}skipped: ${result.reason}`;
  if (result.status === 'passed' && warnings.length > 0) {
    const curl = warnings.find((w) => w.exchange)?.exchange?.curl;
    const lines = [...warnings.map((w) => `warning: ${w.message}`), ...(curl ? [`reproduce: ${curl}`] : [])];
    return `${line}\n${lines.map((l) => `${INDENT}${l}`).join('\n')}`;
  }
  if (result.status !== 'failed') return line;
  const lines = result.failures
    .slice(0, MAX_FAILURES_SHOWN)
    .flatMap((failure, i) => [...(i > 0 ? [''] : []), ...describeBriefly(failure)]);
  if (result.failures.length > MAX_FAILURES_SHOWN) {
    lines.push(
      `… and ${result.failures.length - MAX_FAILURES_SHOWN} more failures (${whereTheRestIs(options.reports)})`,
    );
  }
  const curl = result.failures.find((f) => f.exchange)?.exchange?.curl;
  if (curl) lines.push(`reproduce: ${curl}`);
  const script = replayScriptOf(result);
  if (script) {
    const calls = `${callsIn(script)} calls, in order`;
    lines.push(
      options.scriptFile
        ? `replay: sh ${options.scriptFile}   (${calls})`
        : `replay: a script of its ${calls}, is in the JSON and HTML reports`,
    );
  }
  return `${line}\n${lines.map((l) => (l === '' ? '' : `${INDENT}${l}`)).join('\n')}`;
}

export { summaryLine };

/** The lines after the last check: what ran, how long it took, what it covered, then the closing count. */
export function formatClosing(run: RunResult): string {
  return [
    '',
    `${run.checks.length} checks against ${run.baseUrl} (level ${run.level}${run.tenantMode ? `, ${run.tenantMode} tenants` : ''}) in ${(run.durationMs / 1000).toFixed(2)} s`,
    ...(run.coverage ? [coverageLine(run.coverage)] : []),
    summaryLine(run),
  ].join('\n');
}
