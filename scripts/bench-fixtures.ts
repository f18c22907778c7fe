/**
 * How fast `lastmile fixtures` makes NDJSON, and whether memory stays flat.
 *
 *   npx tsx scripts/bench-fixtures.ts                 # 1,000,000 orders to /dev/null
 *   npx tsx scripts/bench-fixtures.ts --count 100000 --locale pt_BR --out /tmp/orders.ndjson
 *
 * Runs exactly what the CLI runs (`runFixtures`). Prints one JSON line: orders/s by wall
 * clock and by CPU time (the second holds on a busy machine), MB/s, peak RSS, and the RSS
 * and JS heap sampled along the run (flat memory shows as samples that stop growing).
 */
import { availableParallelism } from 'node:os';
import { createWriteStream } from 'node:fs';
import { Command, Option } from 'commander';
import { LOCALES, type LocaleCode } from '../fixtures/locales';
import { runFixtures } from '../fixtures/run';
import { SCENARIO_OPTIONS, type ScenarioOption } from '../fixtures/scenarios';

const MB = 1024 * 1024;

async function main(): Promise<void> {
  const opts = new Command('bench-fixtures')
    .option('--count <n>', 'orders', (v) => Number.parseInt(v, 10), 1_000_000)
    .option('--seed <n>', 'seed', (v) => Number.parseInt(v, 10), 1)
    .addOption(new Option('--locale <locale>').choices(LOCALES).default('es_MX'))
    .addOption(new Option('--scenario <scenario>').choices(SCENARIO_OPTIONS).default('mixed'))
    .option('--out <file>', 'where the NDJSON goes', '/dev/null')
    .parse(process.argv)
    .opts<{ count: number; seed: number; locale: LocaleCode; scenario: ScenarioOption; out: string }>();

  const out = createWriteStream(opts.out);
  let bytes = 0;
  const write = out.write.bind(out);
  out.write = ((chunk: string, ...rest: never[]) => {
    bytes += Buffer.byteLength(chunk);
    return write(chunk, ...rest);
  }) as typeof out.write;
  const sampleEvery = Math.max(1, Math.floor(opts.count / 10));
  const rssSamples: Array<{ orders: number; rss_mb: number; heap_mb: number }> = [];
  let nextSample = sampleEvery;
  let peakRss = process.memoryUsage.rss();
  const onProgress = (done: number) => {
    if (done < nextSample) return;
    nextSample += sampleEvery;
    const { rss, heapUsed } = process.memoryUsage();
    peakRss = Math.max(peakRss, rss);
    rssSamples.push({ orders: done, rss_mb: Math.round(rss / MB), heap_mb: Math.round(heapUsed / MB) });
  };
  const started = process.hrtime.bigint();
  const cpuBefore = process.cpuUsage();
  await runFixtures(
    {
      count: opts.count,
      seed: opts.seed,
      locale: opts.locale,
      scenario: opts.scenario,
      format: 'ndjson',
      invalid: false,
      post: false,
      concurrency: 1,
    },
    { stdout: out, stderr: process.stderr, onProgress },
  );
  await new Promise<void>((resolve) => out.end(resolve));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  peakRss = Math.max(peakRss, process.resourceUsage().maxRSS * 1024);
  process.stdout.write(
    `${JSON.stringify({
      bench: 'fixtures',
      format: 'ndjson',
      locale: opts.locale,
      scenario: opts.scenario,
      orders: opts.count,
      seconds: Math.round(seconds * 100) / 100,
      orders_per_second: Math.round(opts.count / seconds),
      cpu_seconds: Math.round(cpuSeconds * 100) / 100,
      orders_per_cpu_second: Math.round(opts.count / cpuSeconds),
      mb_written: Math.round(bytes / MB),
      mb_per_second: Math.round(bytes / MB / seconds),
      peak_rss_mb: Math.round(peakRss / MB),
      rss_samples: rssSamples,
      cpus: availableParallelism(),
      node: process.version,
    })}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
