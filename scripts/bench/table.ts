/** The benchmark's closing summary, printed after scripts/bench/results.json is written. */
import type { StartupFigures } from './startup';
export interface LoadFigures {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  requests: number;
  /** The server process's CPU time per request (Linux). */
  cpuUsPerRequest?: number;
}

/** What scripts/bench/results.json holds, as far as the summary reads it. */
export interface BenchResults {
  create: { sandbox: LoadFigures; prism: LoadFigures; expressCeiling: LoadFigures; bareNode: LoadFigures };
  getJob: { sandbox: LoadFigures };
  availability: { sandbox: LoadFigures; prism: LoadFigures };
  ratios: {
    oursOverPrism: number;
    oursOverExpressCeiling: number;
    oursOverBare: number;
    availabilityOursOverPrism: number;
  };
  cpuRatios?: { oursOverPrism: number; oursOverExpressCeiling: number };
  memory: {
    jobs: number;
    tenants: number;
    rssBefore: number;
    rssAfter: number;
    heapBefore: number;
    heapAfter: number;
    rssPerJob: number;
    heapPerJob: number;
  };
  webhooks: { delivered: number; events: number; seconds: number; perSecond: number; lost: number };
  conformance: { summary?: string; seconds: number };
  fixtures: { orders: number; seconds: number; perSecond: number };
  startup: StartupFigures;
  baseline?: { root: string; startup: StartupFigures; create: LoadFigures };
}

export function table(results: BenchResults): string {
  const rows: string[][] = [['measure', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'server CPU µs/req']];
  const add = (label: string, f: LoadFigures) =>
    rows.push([label, String(f.rps), String(f.p50), String(f.p99), String(f.non2xx), String(f.cpuUsPerRequest ?? '')]);
  add('POST /jobs, sandbox (full path)', results.create.sandbox);
  add('POST /jobs, prism mock', results.create.prism);
  add('POST /jobs, canned Express 201', results.create.expressCeiling);
  add('POST /jobs, canned node:http 201', results.create.bareNode);
  add('GET /jobs/{id}, sandbox', results.getJob.sandbox);
  add('POST /jobs/availability/v2, sandbox', results.availability.sandbox);
  add('POST /jobs/availability/v2, prism mock', results.availability.prism);
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const lines = rows.map((r) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`);
  lines.splice(1, 0, `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  const m = results.memory;
  const w = results.webhooks;
  return [
    ...lines,
    '',
    `ratios: ours/prism ${results.ratios.oursOverPrism}x, ours/express-ceiling ${results.ratios.oursOverExpressCeiling}, ours/bare-node ${results.ratios.oursOverBare}, availability ours/prism ${results.ratios.availabilityOursOverPrism}x`,
    ...(results.cpuRatios
      ? [
          `ratios of server CPU per create: ours/prism ${results.cpuRatios.oursOverPrism}x, ours/express-ceiling ${results.cpuRatios.oursOverExpressCeiling}`,
        ]
      : []),
    `memory: ${m.jobs} jobs over ${m.tenants} tenants: RSS ${mb(m.rssBefore)} → ${mb(m.rssAfter)} MB, heap ${mb(m.heapBefore)} → ${mb(m.heapAfter)} MB, ${m.rssPerJob} B RSS/job, ${m.heapPerJob} B heap/job`,
    `webhooks: ${w.delivered}/${w.events} delivered in ${w.seconds} s = ${w.perSecond}/s, lost ${w.lost}`,
    `conformance: ${results.conformance.summary ?? 'no summary'} in ${results.conformance.seconds} s`,
    `fixtures: ${results.fixtures.orders} orders in ${results.fixtures.seconds} s = ${results.fixtures.perSecond}/s`,
    startupLine('start-up', results.startup),
    ...(results.baseline
      ? [
          startupLine('baseline start-up', results.baseline.startup),
          `baseline POST /jobs: ${results.baseline.create.rps} req/s, p99 ${results.baseline.create.p99} ms (${results.baseline.root})`,
        ]
      : []),
  ].join('\n');
}

const startupLine = (label: string, s: StartupFigures) =>
  `${label}: /healthz ${s.healthzMs} ms after spawn (median of ${s.runsMs.length}: ${s.runsMs.join(', ')}), idle RSS ${s.idleRssMb} MB, conform --help ${s.conformHelpMs} ms`;

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
