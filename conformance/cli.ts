import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { replayScriptOf } from './reporters/format';
import type { CheckResult } from './checks/result';
import { formatCheckLine, formatClosing } from './reporters/console';
import { parseReportTarget, writeReports, type ReportTarget } from './reporters';
import { DEFAULTS, runConformance, selectChecks, SelectionError, parseList } from './runner/runner';
import { catalogue } from './checks/catalogue';
import { EXPLORE_DEFAULTS } from './explore/run';
import { baseUrlProblem } from '../client/transport';
import type { LevelOption } from './checks/context';
import { waitForAnswer } from './runner/wait';

interface ConformFlags {
  baseUrl: string;
  apiKey: string;
  secondApiKey?: string;
  wrongApiKey?: string;
  sharedTenant: boolean;
  allowReset: boolean;
  level: LevelOption;
  only: string[];
  skip: string[];
  report: ReportTarget[];
  receiverHost: string;
  receiverPort: number;
  receiverPublicUrl?: string;
  timeout: number;
  concurrency: number;
  seed: number;
  list: boolean;
  explore: boolean;
  exploreRuns: number;
  exploreSteps: number;
  waitFor?: number;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function positiveInt(name: string, min = 1) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}`);
    return n;
  };
}

function url(value: string): string {
  const problem = baseUrlProblem(value);
  if (problem) throw new InvalidArgumentError(problem);
  return value;
}

/** Writes each failed check's replay script to a file of its own, in one fresh folder per run; returns the file. */
function replayScriptWriter(): (result: CheckResult) => string | undefined {
  let dir: string | undefined;
  return (result) => {
    const script = replayScriptOf(result);
    if (script === undefined) return undefined;
    dir ??= mkdtempSync(join(tmpdir(), 'lastmile-replay-'));
    const file = join(dir, `${result.id}.sh`);
    writeFileSync(file, script, { mode: 0o755 });
    return file;
  };
}

/** `--report kind=FILE`, repeatable: conform's and conform-receiver's option. */
export function reportTarget(value: string, previous: ReportTarget[]): ReportTarget[] {
  try {
    return [...previous, parseReportTarget(value)];
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

export function registerConform(program: Command): void {
  program
    .command('conform')
    .description('Run the conformance checks against any implementation of the contract, over HTTP')
    .option('--base-url <url>', 'the implementation to test', url, process.env.LASTMILE_BASE_URL)
    .option('--api-key <key>', 'an API key the implementation accepts', process.env.LASTMILE_API_KEY)
    .option(
      '--second-api-key <key>',
      'a key of another tenant, for the isolation checks (default: a fresh random key, when the implementation accepts any key)',
    )
    .option(
      '--wrong-api-key <key>',
      'a key the implementation refuses (default: a fresh random key, when the implementation restricts keys)',
    )
    .option(
      '--shared-tenant',
      'act with --api-key in every check, one at a time (automatic when random keys are refused); never reset without --allow-reset',
      false,
    )
    .option(
      '--allow-reset',
      'WARNING: deletes data. In a shared tenant, reset the tenant of --api-key (and --second-api-key) before each sandbox check: its jobs, webhook endpoints and clock. Without it the kit never resets or changes the clock or endpoints of a tenant it did not create, and the checks that need that skip',
      false,
    )
    .addOption(
      new Option(
        '--level <level>',
        'contract: production operations only; sandbox: only checks that use the /sandbox controls; all: both',
      )
        .choices(['contract', 'sandbox', 'all'])
        .default('all'),
    )
    .option(
      '--only <ids>',
      'run only these check ids or categories (repeatable, comma lists; EXPLORE runs the exploration)',
      collect,
      [],
    )
    .option(
      '--skip <ids>',
      'leave out these check ids or categories (repeatable, comma lists; EXPLORE too)',
      collect,
      [],
    )
    .option('--report <kind=file>', 'write a report: junit=FILE, json=FILE or html=FILE (repeatable)', reportTarget, [])
    .option('--receiver-host <host>', "interface of the kit's webhook receiver", DEFAULTS.receiverHost)
    .option(
      '--receiver-port <port>',
      'port of the webhook receiver (0: any free port)',
      positiveInt('--receiver-port', 0),
      DEFAULTS.receiverPort,
    )
    .option(
      '--receiver-public-url <url>',
      'the URL the implementation must use to reach the receiver, when not host:port',
      url,
    )
    .option(
      '--timeout <ms>',
      'how long to wait for each HTTP answer and each expected webhook',
      positiveInt('--timeout'),
      DEFAULTS.timeoutMs,
    )
    .option(
      '--concurrency <n>',
      'checks run at once (fresh tenants only)',
      positiveInt('--concurrency'),
      DEFAULTS.concurrency,
    )
    .option('--seed <n>', 'seed of the generated orders', positiveInt('--seed', 0), 1)
    .option(
      '--wait-for <seconds>',
      'first wait until the base URL answers (any HTTP status), for at most this long; exit 2 if it never does',
      positiveInt('--wait-for'),
    )
    .option('--list', 'list the selected checks and exit', false)
    .option(
      '--explore',
      'after the checks, explore random sequences of operations judged by a model of the contract (check EXPLORE)',
      false,
    )
    .option('--explore-runs <n>', 'sequences to explore', positiveInt('--explore-runs'), EXPLORE_DEFAULTS.runs)
    .option('--explore-steps <n>', 'the longest sequence', positiveInt('--explore-steps'), EXPLORE_DEFAULTS.steps)
    .action(async (flags: ConformFlags) => {
      if (flags.list) {
        for (const check of selectChecks(catalogue, flags))
          process.stdout.write(`${check.id}\t${check.category}\t${check.level}\t${check.title}\n`);
        return;
      }
      if (!flags.baseUrl) throw new InvalidArgumentError('--base-url is required (or LASTMILE_BASE_URL)');
      if (!flags.apiKey) throw new InvalidArgumentError('--api-key is required (or LASTMILE_API_KEY)');
      if (flags.waitFor !== undefined) {
        const seconds = flags.waitFor;
        const waited = await waitForAnswer(flags.baseUrl, seconds, {
          onWaiting: (cause) =>
            process.stdout.write(`waiting up to ${seconds} s for ${flags.baseUrl} to answer (${cause})\n`),
        });
        if (waited > 0) process.stdout.write(`${flags.baseUrl} answered after ${(waited / 1000).toFixed(1)} s\n`);
      }
      const writeScript = replayScriptWriter();
      try {
        const run = await runConformance({
          baseUrl: flags.baseUrl,
          apiKey: flags.apiKey,
          secondApiKey: flags.secondApiKey,
          wrongApiKey: flags.wrongApiKey,
          sharedTenant: flags.sharedTenant,
          allowReset: flags.allowReset,
          onNotice: (message) => process.stdout.write(`tenants: ${message}\n`),
          level: flags.level,
          only: parseList(flags.only),
          skip: parseList(flags.skip),
          timeoutMs: flags.timeout,
          concurrency: flags.concurrency,
          seed: flags.seed,
          receiverHost: flags.receiverHost,
          receiverPort: flags.receiverPort,
          receiverPublicUrl: flags.receiverPublicUrl,
          explore: flags.explore,
          exploreRuns: flags.exploreRuns,
          exploreSteps: flags.exploreSteps,
          onResult: (result) =>
            process.stdout.write(
              `${formatCheckLine(result, { reports: flags.report, scriptFile: writeScript(result) })}\n`,
            ),
        });
        for (const path of writeReports(run, flags.report)) process.stdout.write(`report: ${path}\n`);
        process.stdout.write(`${formatClosing(run)}\n`);
        process.exitCode = run.summary.failed === 0 ? 0 : 1;
      } catch (error) {
        if (error instanceof SelectionError) throw new InvalidArgumentError(error.message);
        throw error;
      }
    });
}
