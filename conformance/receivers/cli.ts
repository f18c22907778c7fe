import { Command, InvalidArgumentError } from 'commander';
import { formatCheckLine, formatClosing } from '../reporters/console';
import { writeReports, type ReportTarget } from '../reporters';
import { reportTarget } from '../cli';
import { baseUrlProblem } from '../../client/transport';
import { DEFAULT_RECEIVER_TIMEOUT_MS, ReceiverOptionsError, runReceiverConformance, secretProblem } from './run';

interface ConformReceiverFlags {
  url?: string;
  secret?: string;
  report: ReportTarget[];
  timeout: number;
}

function receiverUrl(value: string): string {
  const problem = baseUrlProblem(value);
  if (problem)
    throw new InvalidArgumentError(problem.replace('http://127.0.0.1:4000', 'http://127.0.0.1:3000/webhooks'));
  return value;
}

function secret(value: string): string {
  const problem = secretProblem(value);
  if (problem) throw new InvalidArgumentError(problem);
  return value;
}

function timeout(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('--timeout must be an integer ≥ 1');
  return n;
}

export function registerConformReceiver(program: Command): void {
  program
    .command('conform-receiver')
    .description(
      'Judge your webhook receiver: send it signed deliveries as the sandbox does (valid, replayed, forged, stale, rotated, of an unknown type) and check what it answers',
    )
    .option('--url <url>', 'your receiver, where the sandbox would POST its deliveries', receiverUrl)
    .option(
      '--secret <whsec>',
      'the secret your receiver verifies with (the one the sandbox gave its endpoint)',
      secret,
    )
    .option('--report <kind=file>', 'write a report: junit=FILE, json=FILE or html=FILE (repeatable)', reportTarget, [])
    .option(
      '--timeout <ms>',
      "how long an answer may take; the sandbox's own webhook timeout by default",
      timeout,
      DEFAULT_RECEIVER_TIMEOUT_MS,
    )
    .action(async (flags: ConformReceiverFlags) => {
      if (!flags.url) throw new InvalidArgumentError('--url is required');
      if (!flags.secret) throw new InvalidArgumentError('--secret is required');
      try {
        const run = await runReceiverConformance({
          url: flags.url,
          secret: flags.secret,
          timeoutMs: flags.timeout,
          onNotice: (message) => process.stdout.write(`deliveries: ${message}\n`),
          onResult: (result) => process.stdout.write(`${formatCheckLine(result, { reports: flags.report })}\n`),
        });
        for (const path of writeReports(run, flags.report)) process.stdout.write(`report: ${path}\n`);
        process.stdout.write(`${formatClosing(run)}\n`);
        process.exitCode = run.summary.failed === 0 ? 0 : 1;
      } catch (error) {
        if (error instanceof ReceiverOptionsError) throw new InvalidArgumentError(error.message);
        throw error;
      }
    });
}
