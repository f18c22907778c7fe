import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { RunResult } from '../checks/result';
import { renderHtml } from './html';
import { renderJson } from './json';
import { renderJunit } from './junit';

export const REPORT_KINDS = { junit: renderJunit, json: renderJson, html: renderHtml } as const;
export type ReportKind = keyof typeof REPORT_KINDS;

export interface ReportTarget {
  kind: ReportKind;
  file: string;
}

/** `junit=out/conformance.xml` → { kind: 'junit', file: 'out/conformance.xml' }. */
export function parseReportTarget(spec: string): ReportTarget {
  const at = spec.indexOf('=');
  const kind = (at < 0 ? spec : spec.slice(0, at)).trim().toLowerCase();
  const file = at < 0 ? '' : spec.slice(at + 1).trim();
  if (!(kind in REPORT_KINDS))
    throw new Error(`unknown report kind in ${JSON.stringify(spec)}: use junit=FILE, json=FILE or html=FILE`);
  if (file === '') throw new Error(`report ${JSON.stringify(spec)} names no file: use ${kind}=FILE`);
  return { kind: kind as ReportKind, file };
}

export function writeReports(run: RunResult, targets: ReportTarget[]): string[] {
  return targets.map(({ kind, file }) => {
    const path = resolve(file);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, REPORT_KINDS[kind](run));
    return path;
  });
}
