import type { CheckResult, CoverageReport, ExploreReport, RunResult } from '../checks/result';
import type { Exchange } from '../../client/exchange';
import type { Failure } from '../checks/failure';
import { callsIn, failuresFirst, MAX_SCRIPT_CHARS_SHOWN, scriptElsewhere, show, summaryLine } from './format';
import { notExercisedByStatus, whyNotExercised } from './coverage';

/** The page shows enough to act on; the JSON report keeps every failure and every call. */
export const MAX_EXCHANGES_SHOWN_PER_CHECK = 20;
export const MAX_FAILURE_GROUPS_SHOWN_PER_CHECK = 10;
const MAX_BODY_CHARS = 4000;

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function clip(text: string): string {
  return text.length > MAX_BODY_CHARS
    ? `${text.slice(0, MAX_BODY_CHARS)}… (${text.length - MAX_BODY_CHARS} more characters)`
    : text;
}

function pre(text: string): string {
  return `<pre>${escapeHtml(clip(text))}</pre>`;
}

function prettyBody(body: string | undefined): string {
  if (body === undefined || body === '') return '(no body)';
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

function headerLines(headers: Record<string, string>): string {
  return Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n');
}

/** `open`: unfolded when bad (a failure's own call); the list of a check's calls stays folded. */
function renderExchange(exchange: Exchange, open = true): string {
  const { request, response } = exchange;
  const status = response ? `${response.status}` : `no response (${exchange.error ?? 'unknown'})`;
  const bad = exchange.violations.length > 0 || !response;
  return `<details class="exchange${bad ? ' bad' : ''}"${bad && open ? ' open' : ''}>
<summary><code>${escapeHtml(request.method)} ${escapeHtml(request.url)}</code> → <b>${escapeHtml(status)}</b> <span class="op">${escapeHtml(exchange.operationId)}, ${exchange.durationMs.toFixed(1)} ms</span></summary>
${exchange.violations.length > 0 ? `<p class="violations">Contract violations:</p><ul>${exchange.violations.map((v) => `<li>${escapeHtml(v)}</li>`).join('')}</ul>` : ''}
<div class="pair"><div><h5>Request</h5>${pre(`${request.method} ${request.url}\n${headerLines(request.headers)}\n\n${prettyBody(request.body)}`)}</div>
<div><h5>Response</h5>${pre(response ? `${response.status}\n${headerLines(response.headers)}\n\n${prettyBody(response.body)}` : status)}</div></div>
<h5>Reproduce</h5>${pre(exchange.curl)}
</details>`;
}

/** Failures that say the same thing (message, expected, received), in the order first seen. */
export function groupFailures(failures: readonly Failure[]): Array<{ failure: Failure; count: number }> {
  const groups = new Map<string, { failure: Failure; count: number }>();
  for (const failure of failures) {
    const key = JSON.stringify([failure.message, show(failure.expected), show(failure.received)]);
    const group = groups.get(key);
    if (group) group.count++;
    else groups.set(key, { failure, count: 1 });
  }
  return [...groups.values()];
}

function renderFailure(
  { failure, count }: { failure: Failure; count: number },
  kind: 'failure' | 'warning' = 'failure',
): string {
  const times =
    count > 1
      ? ` <span class="times">× ${count}</span> <span class="op">(identical failures; the first one's call below, every one in the JSON report)</span>`
      : '';
  return `<div class="${kind}"><p><b>${kind === 'warning' ? 'Warning: ' : ''}${escapeHtml(failure.message)}</b>${times}</p>
${failure.expected !== undefined ? `<div class="pair"><div><h5>Expected</h5>${pre(show(failure.expected))}</div><div><h5>Received</h5>${pre(show(failure.received))}</div></div>` : ''}
${failure.exchange ? renderExchange(failure.exchange) : ''}</div>`;
}

/** The exploration: what ran, and for a failure the numbered minimal sequence and its replay script. */
function renderExplore(report: ExploreReport): string {
  const ran = `<p class="op">Seed ${report.seed}: ${report.runsDone} sequences (${report.runs} asked, the rest shrinking), ${report.stepsDone} steps, at most ${report.maxSteps} per sequence.</p>`;
  if (!report.steps) return ran;
  const steps = report.steps
    .map(
      (s) =>
        `<li value="${s.n}">${escapeHtml(s.step)}${s.calls.length ? ` <span class="op">${s.calls.map((c) => `${escapeHtml(c.operationId)} ${c.status ?? '–'}`).join(', ')}</span>` : ''}</li>`,
    )
    .join('');
  return `${ran}<p>Minimal failing sequence (shrunk ${report.shrinks} times from ${report.firstFailingSteps ?? '?'} steps in ${((report.shrinkMs ?? 0) / 1000).toFixed(1)} s); it fails at the last step:</p>
<ol class="steps" start="0">${steps}</ol>
<div class="pair"><div><h5>Expected</h5>${pre(show(report.expected))}</div><div><h5>Received</h5>${pre(show(report.received))}</div></div>
${report.script ? `<h5>Replay (sh, curl, node)</h5><pre>${escapeHtml(report.script)}</pre>` : ''}`;
}

/**
 * Which documented (operation, status) pairs the run exercised, and by which checks: every
 * pair it did not exercise named in the summary, grouped by status, then the whole table.
 */
export function renderCoverage(coverage: CoverageReport): string {
  const rows = coverage.pairs
    .map(
      (p) =>
        `<tr class="${p.exercised ? 'hit' : 'miss'}"><td><code>${escapeHtml(p.operationId)}</code></td><td>${escapeHtml(p.status)}</td><td>${p.exercised ? escapeHtml(p.by.join(', ')) : `not exercised (${escapeHtml(whyNotExercised(p.status))})`}</td></tr>`,
    )
    .join('\n');
  const missing = notExercisedByStatus(coverage)
    .map(
      (m) =>
        `<li><b>${escapeHtml(m.status)}</b> (${escapeHtml(whyNotExercised(m.status))}): ${m.operations.map((o) => `<code>${escapeHtml(o)}</code>`).join(', ')}</li>`,
    )
    .join('');
  return `<section class="coverage"><h2>Coverage: ${coverage.exercised} of ${coverage.documented} documented (operation, status) pairs exercised</h2>
${missing ? `<p>Not exercised, by status:</p><ul class="missing">${missing}</ul>` : ''}
<details><summary>Every pair and the checks that exercised it</summary>
<table><thead><tr><th>Operation</th><th>Status</th><th>Exercised by</th></tr></thead><tbody>
${rows}
</tbody></table></details></section>`;
}

/** A failed check's calls as a script; never clipped, or it would not run. */
function renderScript(script: string): string {
  if (script.length > MAX_SCRIPT_CHARS_SHOWN)
    return `<p class="op"><b>Replay</b>: ${escapeHtml(scriptElsewhere(script))}.</p>`;
  return `<details class="replay"><summary><b>Replay</b>: the check's ${callsIn(script)} calls, in order, as a script (sh, curl, node)</summary><pre>${escapeHtml(script)}</pre></details>`;
}

function renderCheck(check: CheckResult): string {
  const shown = check.exchanges.slice(0, MAX_EXCHANGES_SHOWN_PER_CHECK);
  const groups = groupFailures(check.failures);
  const shownGroups = groups.slice(0, MAX_FAILURE_GROUPS_SHOWN_PER_CHECK);
  const hiddenGroups = groups.slice(shownGroups.length);
  const hiddenFailures = hiddenGroups.reduce((n, g) => n + g.count, 0);
  const more = check.exchanges.length - shown.length;
  return `<section class="check ${check.status}" id="${escapeHtml(check.id)}">
<details${check.status === 'failed' || check.warnings ? ' open' : ''}>
<summary><span class="badge ${check.status}">${check.status.toUpperCase()}</span> <code>${escapeHtml(check.id)}</code> ${escapeHtml(check.title)} <span class="op">${escapeHtml(check.category)}, ${escapeHtml(check.level)}, ${Math.round(check.durationMs)} ms</span></summary>
<p class="op">Operations: ${check.operations.map((o) => `<code>${escapeHtml(o)}</code>`).join(' ')}</p>
${check.reason ? `<p>Skipped: ${escapeHtml(check.reason)}</p>` : ''}
${check.explore ? renderExplore(check.explore) : ''}
${groups.length > 1 || check.failures.length > 1 ? `<p class="op">${check.failures.length} failures, ${groups.length} distinct.</p>` : ''}
${shownGroups.map((g) => renderFailure(g)).join('\n')}
${(check.warnings ?? []).map((w) => renderFailure({ failure: w, count: 1 }, 'warning')).join('\n')}
${check.script ? renderScript(check.script) : ''}
${hiddenFailures > 0 ? `<p class="op">… ${hiddenFailures} more failures (${hiddenGroups.length} distinct), all in the JSON report.</p>` : ''}
<details><summary>${check.exchanges.length} HTTP calls</summary>
${shown.map((e) => renderExchange(e, false)).join('\n')}
${more > 0 ? `<p class="op">… ${more} more calls, all in the JSON report.</p>` : ''}
</details>
</details>
</section>`;
}

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#1d1d1f;max-width:1200px}
h1{font-size:1.4rem}code,pre{font:12px/1.4 ui-monospace,monospace}pre{background:#f5f5f7;padding:.6rem;overflow:auto;white-space:pre-wrap;word-break:break-all;margin:.2rem 0}
.check{border-left:4px solid #ccc;margin:.4rem 0;padding:.2rem .8rem}.check.failed{border-color:#c62828}.check.passed{border-color:#2e7d32}.check.skipped{border-color:#f9a825}
.badge{display:inline-block;min-width:3.6rem;text-align:center;font-weight:600;border-radius:3px;color:#fff;font-size:11px;padding:1px 4px}
.badge.failed{background:#c62828}.badge.passed{background:#2e7d32}.badge.skipped{background:#f9a825;color:#000}
.op{color:#666;font-size:12px}.pair{display:grid;grid-template-columns:1fr 1fr;gap:.6rem}.failure{background:#fff5f5;padding:.4rem .6rem;margin:.4rem 0}.warning{background:#fffbe6;padding:.4rem .6rem;margin:.4rem 0}.times{font-weight:600;color:#c62828}
.exchange{margin:.3rem 0 .3rem 1rem}.steps li{margin:.1rem 0}table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ddd;padding:2px 6px;text-align:left}tr.miss td{background:#fff5f5}.exchange.bad>summary{color:#c62828}.violations{color:#c62828;margin:.2rem 0}h5{margin:.3rem 0 .1rem}summary{cursor:pointer}`;

/** One self-contained page: no scripts, no external assets; failures first. */
export function renderHtml(run: RunResult): string {
  const { failed } = run.summary;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(run.tool.name)}: ${failed} failed</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><style>${STYLE}</style></head>
<body>
<h1>Conformance of ${escapeHtml(run.baseUrl)}</h1>
<p><b>${summaryLine(run)}</b> — level ${escapeHtml(run.level)}${run.tenantMode ? `, ${escapeHtml(run.tenantMode)} tenants` : ''}, started ${escapeHtml(run.startedAt)}, ${(run.durationMs / 1000).toFixed(2)} s, ${escapeHtml(run.tool.name)} ${escapeHtml(run.tool.version)}</p>
${
  failed > 0
    ? `<p>Failed: ${run.checks
        .filter((c) => c.status === 'failed')
        .map((c) => `<a href="#${escapeHtml(c.id)}"><code>${escapeHtml(c.id)}</code></a>`)
        .join(', ')}</p>`
    : ''
}
${failuresFirst(run.checks).map(renderCheck).join('\n')}
${run.coverage ? renderCoverage(run.coverage) : ''}
</body></html>
`;
}
