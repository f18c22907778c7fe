/**
 * `npm run explore:bench [-- --no-mutants] [--only neutrality] [--runs 1000] [--seed 1]`: the
 * exploration's figures. Against the reference server (in this process, on a loopback port): a
 * default `--explore` run, 1,000 runs for neutrality, and the coverage of documented (operation,
 * status) pairs; 1,000 runs more through the variant proxy that uses every freedom at once
 * (test/variants/), its server retrying with a 50 % jitter; against each stateful mutant: does the
 * catalogue pass it, does `--explore` kill it at its default runs, how long shrinking took. Prints
 * the figures and writes them into conformance/CHECKS.md. `--no-mutants` leaves the mutants out,
 * `--only neutrality` measures the neutrality runs alone, `--runs` sets how many each takes and
 * `--seed` their seed; none of those writes CHECKS.md.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { runConformance, type RunResult } from '../conformance';
import { missingPairs, OUT_OF_REACH } from '../conformance/explore/coverage';
import { EXPLORE_DEFAULTS } from '../conformance/explore/run';
import { startServer } from '../server/main';
import { statefulMutants } from '../test/mutants/stateful';
import { startVariant } from '../test/variants/proxy';
import { FREEDOMS } from '../test/variants/rewrite';
import { CHECKS_MD_PATH, EXPLORE_BEGIN, EXPLORE_END } from './check-table';
import { hasOption, optionValue } from './lib/args';

const TIMEOUT_MS = 3000;
/** Neutrality runs wait as long as a loaded machine needs: a call that timed out is no verdict on the kit. */
const NEUTRALITY_TIMEOUT_MS = 10_000;
/** Beyond the default 10 %: the retry jitter is the server's configuration, which the kit must accept. */
const VARIANT_JITTER = 0.5;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const explored = (run: RunResult) => run.checks.find((c) => c.id === 'EXPLORE')!;
const SECTIONS = ['neutrality'] as const;

function usage(problem: string): never {
  process.stderr.write(
    `usage: explore-bench [--no-mutants] [--only ${SECTIONS.join('|')}] [--runs N] [--seed N]; ${problem}\n`,
  );
  process.exit(2);
}

/** `runs` explorations of the reference and as many through the all-freedoms variant proxy: each must pass. */
async function neutrality(serverUrl: string, runs: number, seed: number, say: (line: string) => void) {
  const options = {
    only: ['SANDBOX-HEALTH'],
    explore: true,
    exploreRuns: runs,
    seed,
    timeoutMs: NEUTRALITY_TIMEOUT_MS,
  };
  const neutral = explored(await runConformance({ ...options, baseUrl: serverUrl, apiKey: 'bench-neutral' }));
  const variant = await startVariant(FREEDOMS, { webhookRetryJitter: VARIANT_JITTER });
  let throughVariant: RunResult;
  try {
    throughVariant = await runConformance({ ...options, baseUrl: variant.url, apiKey: 'bench-variant' });
  } finally {
    await variant.close();
  }
  const variantExplore = explored(throughVariant);
  say(
    `- Neutrality (seed ${seed}): **${neutral.status === 'passed' ? 0 : 1} failures over ${neutral.explore!.runsDone} runs** (${neutral.explore!.stepsDone} steps, ${seconds(neutral.durationMs)}).`,
  );
  if (neutral.status === 'failed') say(`  - ${neutral.failures[0].message.split('\n')[0]}`);
  say(
    `- Through the variant proxy with every freedom at once (${FREEDOMS.join(', ')}), its server retrying with a ${VARIANT_JITTER * 100} % jitter: **${variantExplore.status === 'passed' ? 0 : 1} failures over ${variantExplore.explore!.runsDone} runs** (${variantExplore.explore!.stepsDone} steps, ${seconds(variantExplore.durationMs)}).`,
  );
  if (variantExplore.status === 'failed') say(`  - ${variantExplore.failures[0].message.split('\n')[0]}`);
}

async function main(): Promise<void> {
  const only = optionValue('--only', '');
  const neutralityRuns = Number(optionValue('--runs', '1000'));
  const seed = Number(optionValue('--seed', '1'));
  if (only !== '' && !(SECTIONS as readonly string[]).includes(only)) usage(`unknown section: ${only}`);
  if (!Number.isInteger(neutralityRuns) || neutralityRuns < 1) usage('--runs takes a positive whole number');
  if (!Number.isInteger(seed)) usage('--seed takes a whole number');
  const withMutants = !hasOption('--no-mutants') && only === '';
  // Figures measured otherwise than at the defaults are printed, never written into CHECKS.md.
  const writes = withMutants && !hasOption('--runs') && !hasOption('--seed');
  const server = await startServer({ port: 0, host: '127.0.0.1', logLevel: 'silent' });
  const lines: string[] = [];
  const say = (line: string) => {
    lines.push(line);
    process.stdout.write(`${line}\n`);
  };
  try {
    if (only === 'neutrality') {
      say(`Against the reference server (in-process, loopback, ${new Date().toISOString().slice(0, 10)}):`);
      say('');
      await neutrality(server.url, neutralityRuns, seed, say);
      return;
    }
    const catalogueOnly = await runConformance({
      baseUrl: server.url,
      apiKey: 'bench-catalogue',
      timeoutMs: TIMEOUT_MS,
    });
    const full = await runConformance({
      baseUrl: server.url,
      apiKey: 'bench-full',
      explore: true,
      timeoutMs: TIMEOUT_MS,
    });
    const fullExplore = explored(full);
    say(`Against the reference server (in-process, loopback, seed 1, ${new Date().toISOString().slice(0, 10)}):`);
    say('');
    say(
      `- \`--explore\` at its defaults (${EXPLORE_DEFAULTS.runs} runs, at most ${EXPLORE_DEFAULTS.steps} steps): the exploration took **${seconds(fullExplore.durationMs)}** (${fullExplore.explore!.stepsDone} steps), the whole run with the catalogue ${seconds(full.durationMs)}; ${full.summary.failed} failed.`,
    );
    await neutrality(server.url, neutralityRuns, seed, say);
    say(
      `- Coverage of the spec's documented (operation, status) pairs: the catalogue alone **${catalogueOnly.coverage!.exercised} of ${catalogueOnly.coverage!.documented}**, with \`--explore\` **${full.coverage!.exercised} of ${full.coverage!.documented}**. Not exercised, apart from ${[...OUT_OF_REACH].join(', ')}: ${missingPairs(full.coverage!).join(', ') || 'none'}.`,
    );
    say('');
    say('| Operation | Exercised | Not exercised |');
    say('|---|---|---|');
    for (const operationId of [...new Set(full.coverage!.pairs.map((p) => p.operationId))]) {
      const pairs = full.coverage!.pairs.filter((p) => p.operationId === operationId);
      const list = (hit: boolean) =>
        pairs
          .filter((p) => p.exercised === hit)
          .map((p) => p.status)
          .join(', ') || '–';
      say(`| \`${operationId}\` | ${list(true)} | ${list(false)} |`);
    }
    if (!withMutants) return;
    say('');
    say('| Stateful mutant | Catalogue | `--explore` (100 runs) | Minimal sequence | Shrinking |');
    say('|---|---|---|---|---|');
    let killed = 0;
    let caughtByCatalogue = 0;
    for (const mutant of statefulMutants) {
      const running = await mutant.start();
      try {
        const catalogue = await runConformance({
          baseUrl: running.url,
          apiKey: `bench-${mutant.id.toLowerCase()}`,
          timeoutMs: TIMEOUT_MS,
        });
        const caught = catalogue.checks.filter((c) => c.status === 'failed').map((c) => c.id);
        const run = await runConformance({
          baseUrl: running.url,
          apiKey: `bench-x-${mutant.id.toLowerCase()}`,
          only: ['SANDBOX-HEALTH'],
          explore: true,
          timeoutMs: TIMEOUT_MS,
        });
        const result = explored(run);
        const report = result.explore!;
        if (result.status === 'failed') killed += 1;
        if (caught.length > 0) caughtByCatalogue += 1;
        say(
          `| ${mutant.id} | ${caught.length === 0 ? 'passes' : `killed by ${caught.join(', ')}`} | ${result.status === 'failed' ? '**killed**' : 'survives'} | ${report.steps ? `${report.steps.length - 1} steps (from ${report.firstFailingSteps})` : '–'} | ${report.steps ? `${report.shrinks} shrinks, ${seconds(report.shrinkMs ?? 0)}` : '–'} |`,
        );
      } finally {
        await running.close();
      }
    }
    say('');
    say(
      `**${killed} of ${statefulMutants.length}** stateful mutants killed by \`--explore\` at its default runs; the catalogue kills ${caughtByCatalogue === 0 ? 'none' : caughtByCatalogue} of them.`,
    );
  } finally {
    await server.close();
  }
  if (!writes) return;
  const text = readFileSync(CHECKS_MD_PATH, 'utf8');
  const begin = text.indexOf(EXPLORE_BEGIN);
  const end = text.indexOf(EXPLORE_END);
  if (begin < 0 || end < begin) throw new Error(`conformance/CHECKS.md lacks ${EXPLORE_BEGIN} … ${EXPLORE_END}`);
  writeFileSync(
    CHECKS_MD_PATH,
    `${text.slice(0, begin + EXPLORE_BEGIN.length)}\n${lines.join('\n')}\n${text.slice(end)}`,
  );
  process.stdout.write(`wrote the figures into ${CHECKS_MD_PATH}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
