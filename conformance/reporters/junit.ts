import type { RunResult } from '../checks/result';
import { describeFailure, MAX_SCRIPT_CHARS_SHOWN, replayScriptOf, scriptElsewhere, seconds } from './format';

/** Characters XML 1.0 cannot hold at all, even escaped. */
// eslint-disable-next-line no-control-regex -- the control characters XML allows are the point of this class
const INVALID_XML_CHARS = /[^\u0009\u000A\u000D\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

export function escapeXml(text: string): string {
  return text
    .replace(INVALID_XML_CHARS, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** One testcase per check, classname the category. */
export function renderJunit(run: RunResult): string {
  const { passed, failed, skipped } = run.summary;
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(
    `<testsuites name="${escapeXml(run.tool.name)}" tests="${passed + failed + skipped}" failures="${failed}" skipped="${skipped}" time="${seconds(run.durationMs)}">`,
  );
  out.push(
    `  <testsuite name="${escapeXml(`conformance ${run.baseUrl}`)}" tests="${run.checks.length}" failures="${failed}" errors="0" skipped="${skipped}" time="${seconds(run.durationMs)}" timestamp="${escapeXml(run.startedAt)}">`,
  );
  out.push('    <properties>');
  out.push(`      <property name="level" value="${escapeXml(run.level)}"/>`);
  if (run.tenantMode) out.push(`      <property name="tenants" value="${escapeXml(run.tenantMode)}"/>`);
  out.push('    </properties>');
  for (const check of run.checks) {
    const open = `    <testcase name="${escapeXml(`${check.id} ${check.title}`)}" classname="${escapeXml(check.category)}" time="${seconds(check.durationMs)}"`;
    if (check.status === 'passed' && !check.warnings?.length) {
      out.push(`${open}/>`);
      continue;
    }
    out.push(`${open}>`);
    if (check.status === 'passed') {
      const warnings = (check.warnings ?? []).map((w) => `warning: ${describeFailure(w)}`).join('\n\n');
      out.push(`      <system-out>${escapeXml(warnings)}</system-out>`);
    } else if (check.status === 'skipped') out.push(`      <skipped message="${escapeXml(check.reason ?? '')}"/>`);
    else {
      const first = check.failures[0]?.message ?? 'failed';
      out.push(
        `      <failure message="${escapeXml(first)}" type="ConformanceFailure">${escapeXml(check.failures.map(describeFailure).join('\n\n'))}</failure>`,
      );
      const script = replayScriptOf(check);
      if (script)
        out.push(
          `      <system-out>${escapeXml(script.length > MAX_SCRIPT_CHARS_SHOWN ? `replay: ${scriptElsewhere(script)}` : `replay script (sh, curl, node):\n${script}`)}</system-out>`,
        );
    }
    out.push('    </testcase>');
  }
  out.push('  </testsuite>');
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}
