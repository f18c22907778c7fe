import { findAll, parseXml } from '../../test/support/xml';
import type { CheckResult, RunResult } from '../checks/result';
import type { Exchange } from '../../client/exchange';
import { formatCheckLine, formatClosing, summaryLine } from './console';
import { failuresFirst, MAX_SCRIPT_CHARS_SHOWN } from './format';
import {
  escapeHtml,
  groupFailures,
  MAX_EXCHANGES_SHOWN_PER_CHECK,
  MAX_FAILURE_GROUPS_SHOWN_PER_CHECK,
  renderHtml,
} from './html';
import { parseReportTarget } from './index';
import { renderJson } from './json';
import { renderJunit } from './junit';

const HOSTILE = 'x<script>alert("1")</script>&amp;]]>\u0001\'';

const exchange: Exchange = {
  operationId: 'getJob',
  request: { method: 'GET', url: 'http://127.0.0.1:1/jobs/j1', headers: { 'x-api-key': 'k' } },
  response: {
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id: HOSTILE }),
    json: { id: HOSTILE },
  },
  durationMs: 1.5,
  curl: "curl -sS -i -X GET 'http://127.0.0.1:1/jobs/j1' -H 'x-api-key: k'",
  violations: [`body.id: ${HOSTILE}`],
};

const result = (
  id: string,
  category: string,
  status: CheckResult['status'],
  extra: Partial<CheckResult> = {},
): CheckResult => ({
  id,
  title: `title of ${id}`,
  category,
  level: 'contract',
  operations: ['getJob'],
  negative: false,
  status,
  durationMs: 12.3,
  failures: [],
  exchanges: [],
  ...extra,
});

const run: RunResult = {
  tool: { name: 'lastmile conform', version: '0.0.0' },
  baseUrl: 'http://127.0.0.1:1',
  level: 'all',
  tenantMode: 'fresh',
  startedAt: '2026-11-27T15:00:00.000Z',
  durationMs: 1234,
  summary: { passed: 1, failed: 1, skipped: 1 },
  checks: [
    result('A-PASS', 'alpha', 'passed', { exchanges: [exchange] }),
    result('B-FAIL', 'beta', 'failed', {
      failures: [{ message: `broke ${HOSTILE}`, expected: { status: 200 }, received: { status: 500 }, exchange }],
      exchanges: [exchange],
    }),
    result('C-SKIP', 'gamma', 'skipped', { reason: `no key ${HOSTILE}` }),
  ],
};

describe('JUnit report', () => {
  const doc = parseXml(renderJunit(run));
  const cases = findAll(doc, 'testcase');

  it('is well-formed XML with one testcase per check, classname the category', () => {
    expect(cases.map((c) => [c.attributes.classname, c.attributes.name.split(' ')[0]])).toEqual([
      ['alpha', 'A-PASS'],
      ['beta', 'B-FAIL'],
      ['gamma', 'C-SKIP'],
    ]);
    expect(findAll(doc, 'testsuite')[0].attributes).toMatchObject({ tests: '3', failures: '1', skipped: '1' });
  });
  it('carries the failure with expected, received and the curl, and the skip reason, escaped', () => {
    const failure = findAll(cases[1], 'failure')[0];
    expect(failure.attributes.message).toBe(`broke ${HOSTILE.replace('\u0001', '\uFFFD')}`);
    expect(failure.text).toContain('expected: {');
    expect(failure.text).toContain('reproduce: curl -sS -i -X GET');
    expect(findAll(cases[2], 'skipped')[0].attributes.message).toContain('no key x<script>');
    expect(findAll(cases[0], 'failure')).toEqual([]);
  });
});

describe('HTML report', () => {
  const html = renderHtml(run);
  it('puts failures first, then skips, then passes', () => {
    expect(failuresFirst(run.checks).map((c) => c.id)).toEqual(['B-FAIL', 'C-SKIP', 'A-PASS']);
    expect(html.indexOf('id="B-FAIL"')).toBeLessThan(html.indexOf('id="C-SKIP"'));
    expect(html.indexOf('id="C-SKIP"')).toBeLessThan(html.indexOf('id="A-PASS"'));
  });
  it('escapes everything the implementation sent and loads nothing from elsewhere', () => {
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;');
    expect(html).not.toMatch(/<(script|link|img)\b/);
    expect(html).not.toMatch(/src=|href="http/);
  });
  it('shows the request, the response and the curl of a failure', () => {
    expect(html).toContain('GET http://127.0.0.1:1/jobs/j1');
    expect(html).toContain('curl -sS -i -X GET');
    expect(html).toContain('1 passed, 1 failed, 1 skipped');
  });
});

describe('HTML report of a check with many failures', () => {
  // As against the mock: one check, 88 failures, most of them the same failure again.
  const call = (i: number): Exchange => ({
    ...exchange,
    request: { ...exchange.request, url: `http://127.0.0.1:1/jobs/j${i}` },
    response: { ...exchange.response!, body: 'x'.repeat(3000) },
  });
  const same = (i: number) => ({
    message: 'status 200, expected 404',
    expected: { status: 404 },
    received: { status: 200 },
    exchange: call(i),
  });
  const distinct = (i: number) => ({
    message: `field f${i} missing`,
    expected: { field: `f${i}` },
    received: {},
    exchange: call(100 + i),
  });
  const failures = [
    ...Array.from({ length: 70 }, (_, i) => same(i)),
    ...Array.from({ length: 18 }, (_, i) => distinct(i)),
  ];
  const exchanges = failures.map((f) => f.exchange);
  const many: RunResult = {
    ...run,
    summary: { passed: 0, failed: 1, skipped: 0 },
    checks: [result('M-FAIL', 'mu', 'failed', { failures, exchanges })],
  };
  const html = renderHtml(many);
  const count = (pattern: RegExp) => html.match(pattern)?.length ?? 0;

  it('shows identical failures once, with how many there were', () => {
    expect(count(/status 200, expected 404/g)).toBe(1);
    expect(html).toContain('× 70');
    expect(html).toContain('88 failures, 19 distinct.');
  });

  it('caps the failures and calls it shows, and counts the rest', () => {
    expect(count(/<div class="failure">/g)).toBe(MAX_FAILURE_GROUPS_SHOWN_PER_CHECK);
    const hiddenGroups = 19 - MAX_FAILURE_GROUPS_SHOWN_PER_CHECK;
    expect(html).toContain(`… ${hiddenGroups} more failures (${hiddenGroups} distinct), all in the JSON report.`);
    expect(html).toContain(`… ${88 - MAX_EXCHANGES_SHOWN_PER_CHECK} more calls, all in the JSON report.`);
    // Every call shown once in its failure and once in the list, at most.
    expect(count(/<details class="exchange/g)).toBeLessThanOrEqual(
      MAX_FAILURE_GROUPS_SHOWN_PER_CHECK + MAX_EXCHANGES_SHOWN_PER_CHECK,
    );
    expect(html.length).toBeLessThan(200_000);
  });

  it('keeps every failure and every call in the JSON report', () => {
    const json = JSON.parse(renderJson(many)) as RunResult;
    expect(json.checks[0].failures).toHaveLength(88);
    expect(json.checks[0].exchanges).toHaveLength(88);
  });

  it('groups by what the failure says, not by its call', () => {
    expect(groupFailures(failures).map((g) => g.count)).toEqual([70, ...Array<number>(18).fill(1)]);
  });
});

describe('console and JSON', () => {
  it('prints one line per check and closes with the exact count line', () => {
    expect(formatCheckLine(run.checks[0])).toBe('PASS A-PASS title of A-PASS (12 ms)');
    expect(formatCheckLine(run.checks[2])).toMatch(/^SKIP C-SKIP .*\n {5}skipped: no key/);
    const failed = formatCheckLine(run.checks[1]);
    expect(failed).toMatch(/^FAIL B-FAIL/);
    expect(failed).toContain('expected: {');
    expect(failed).toContain('received: {');
    expect(failed).toContain("reproduce: curl -sS -i -X GET 'http://127.0.0.1:1/jobs/j1'");
    expect(summaryLine(run)).toBe('1 passed, 1 failed, 1 skipped');
    expect(formatClosing(run).split('\n').pop()).toBe('1 passed, 1 failed, 1 skipped');
    expect(formatClosing(run)).toContain('in 1.23 s');
  });
  it('indents every line of a multi-line failure alike (an explore failure lists its steps)', () => {
    const message = 'a minimal sequence of 2 steps fails:\n  1. add a webhook endpoint\n  2. cancel job #1';
    const lines = formatCheckLine(result('E-FAIL', 'explore', 'failed', { failures: [{ message }] })).split('\n');
    expect(lines.slice(1, 4)).toEqual([
      '     a minimal sequence of 2 steps fails:',
      '       1. add a webhook endpoint',
      '       2. cancel job #1',
    ]);
  });
  it('keeps a failing check short: expected and received on a line each, the body once, one curl, the rest left to reports', () => {
    const big = {
      items: Array.from({ length: 500 }, (_, i) => ({ id: `item-${i}`, name: 'a long name to make the body large' })),
    };
    const bigExchange: Exchange = {
      ...exchange,
      response: { status: 201, headers: {}, body: JSON.stringify(big), json: big },
    };
    const failures = Array.from({ length: 8 }, (_, i) => ({
      message: `failure ${i}`,
      expected: { status: 409 },
      received: { status: 201, body: big },
      exchange: bigExchange,
    }));
    const noReports = formatCheckLine(result('D-FAIL', 'delta', 'failed', { failures }));
    const lines = noReports.split('\n');
    expect(lines.length).toBeLessThanOrEqual(25);
    expect(lines.every((l) => l.length <= 520 || l.includes('reproduce: curl'))).toBe(true);
    expect(noReports.match(/reproduce: curl/g)).toHaveLength(1);
    expect(noReports.match(/"item-0"/g)).toHaveLength(5);
    expect(noReports).toContain('… and 3 more failures (add --report html=FILE or json=FILE to keep them all)');
    expect(noReports).not.toMatch(/see the (JSON|HTML) report/i);
    const withReports = formatCheckLine(result('D-FAIL', 'delta', 'failed', { failures }), {
      reports: [
        { kind: 'junit', file: 'r.xml' },
        { kind: 'html', file: 'out/r.html' },
      ],
    });
    expect(withReports).toContain('… and 3 more failures (see out/r.html)');
    expect(withReports).not.toContain('r.xml');
    const received = formatCheckLine(
      result('E-FAIL', 'e', 'failed', { failures: [{ message: 'no code', exchange: bigExchange }] }),
    );
    expect(received).toMatch(/received: 201 \{"items"/);
  });
  it('writes everything as JSON', () => {
    expect(JSON.parse(renderJson(run))).toEqual(run);
  });
  it('parses report targets and refuses unknown kinds or missing files', () => {
    expect(parseReportTarget('junit=out/a=b.xml')).toEqual({ kind: 'junit', file: 'out/a=b.xml' });
    expect(() => parseReportTarget('pdf=x.pdf')).toThrow(/unknown report kind/);
    expect(() => parseReportTarget('html=')).toThrow(/names no file/);
    expect(() => parseReportTarget('html')).toThrow(/names no file/);
  });
});

describe('the replay script of a failed check', () => {
  const script = `#!/bin/sh\n# ${HOSTILE}\ncurl -sS -X POST 'a'\nV1=$(json "$OUT/0.json" '[0].id')\ncurl -sS -X POST 'b'\n`;
  const failed = result('S-FAIL', 'sigma', 'failed', {
    failures: [{ message: 'second create answered 201', exchange }],
    exchanges: [exchange, exchange],
    script,
  });
  const withScript: RunResult = { ...run, summary: { passed: 0, failed: 1, skipped: 0 }, checks: [failed] };

  it('is in JUnit, whole and escaped, beside the failure', () => {
    const testcase = findAll(parseXml(renderJunit(withScript)), 'testcase')[0];
    expect(findAll(testcase, 'failure')).toHaveLength(1);
    expect(findAll(testcase, 'system-out')[0].text).toBe(
      `replay script (sh, curl, node):\n${script.replace('\u0001', '\uFFFD')}`,
    );
  });
  it('is in HTML, whole and escaped, with the number of its calls', () => {
    const html = renderHtml(withScript);
    expect(html).toContain(`the check's 2 calls, in order, as a script`);
    expect(html).toContain(`<pre>${escapeHtml(script)}</pre>`);
  });
  it('is left to the JSON and the console file when too long to show whole', () => {
    const long = `#!/bin/sh\n${Array.from({ length: 100 }, (_, i) => `curl -sS -X POST '${'x'.repeat(300)}${i}'`).join('\n')}\n`;
    const big: RunResult = { ...withScript, checks: [{ ...failed, script: long }] };
    const pointer = `the script of its 100 calls (${Math.round(long.length / 1000)} KB) is in the JSON report (script) and the file the console names`;
    expect(long.length).toBeGreaterThan(MAX_SCRIPT_CHARS_SHOWN);
    expect(renderHtml(big)).toContain(pointer);
    expect(renderHtml(big)).not.toContain('x'.repeat(300));
    expect(findAll(findAll(parseXml(renderJunit(big)), 'testcase')[0], 'system-out')[0].text).toBe(
      `replay: ${pointer}`,
    );
    expect((JSON.parse(renderJson(big)) as RunResult).checks[0].script).toBe(long);
  });
  it("is in JSON as the check's script", () => {
    expect((JSON.parse(renderJson(withScript)) as RunResult).checks[0].script).toBe(script);
  });
  it('is a file the console names, or a pointer to the reports when none was written', () => {
    expect(formatCheckLine(failed, { scriptFile: '/tmp/x/S-FAIL.sh' })).toContain(
      'replay: sh /tmp/x/S-FAIL.sh   (2 calls, in order)',
    );
    expect(formatCheckLine(failed)).toContain(
      'replay: a script of its 2 calls, in order, is in the JSON and HTML reports',
    );
    expect(formatCheckLine(run.checks[1])).not.toContain('replay:');
  });
});

describe('coverage in the reports', () => {
  const coverage = {
    documented: 4,
    exercised: 1,
    pairs: [
      { operationId: 'getJob', status: '200', exercised: true, by: ['A-PASS'] },
      { operationId: 'getJob', status: '503', exercised: false, by: [] },
      { operationId: 'getClock', status: '503', exercised: false, by: [] },
      { operationId: 'createJob', status: '409', exercised: false, by: [] },
    ],
  };
  const covered: RunResult = { ...run, coverage };

  it('counts on the console, naming each status not exercised, 503 included', () => {
    expect(formatClosing(covered)).toContain(
      'coverage: 1 of 4 documented (operation, status) pairs exercised; not exercised: 409 on 1, 503 on 2 (every pair in the JSON and HTML reports)',
    );
    expect(formatClosing(run)).not.toContain('coverage:');
  });
  it('names every pair not exercised in HTML, grouped by status, with why', () => {
    const html = renderHtml(covered);
    expect(html).toContain('Coverage: 1 of 4 documented (operation, status) pairs exercised');
    expect(html).toContain('<li><b>409</b> (no check provokes it): <code>createJob</code></li>');
    expect(html).toContain(
      '<li><b>503</b> (a store outage, or a fault rule): <code>getJob</code>, <code>getClock</code></li>',
    );
  });
});

describe('the test XML reader itself', () => {
  it('refuses malformed XML, so that a passing parse means something', () => {
    expect(() => parseXml('<a><b></a>')).toThrow();
    expect(() => parseXml('<a x="1 & 2"/>')).toThrow();
    expect(() => parseXml('<a>1 < 2</a>')).toThrow();
    expect(() => parseXml('<a/><b/>')).toThrow();
  });
});
