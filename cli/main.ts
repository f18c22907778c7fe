import { Command, CommanderError, InvalidArgumentError } from 'commander';

type Register = (program: Command) => void;

/**
 * Each command's module is loaded only when that command runs (or help lists them all):
 * `serve` never loads the conformance kit or the fixture factory, and their start-up cost.
 */
const COMMANDS: Record<string, () => Register> = {
  serve: () => (require('../server/cli') as typeof import('../server/cli')).registerServe,
  mock: () => (require('./mock') as typeof import('./mock')).registerMock,
  conform: () => (require('../conformance/cli') as typeof import('../conformance/cli')).registerConform,
  'conform-receiver': () =>
    (require('../conformance/receivers/cli') as typeof import('../conformance/receivers/cli')).registerConformReceiver,
  fixtures: () => (require('../fixtures/cli') as typeof import('../fixtures/cli')).registerFixtures,
  listen: () => (require('./listen') as typeof import('./listen')).registerListen,
};

/** With `argv` naming a command, only that command is registered; otherwise all of them. */
export function buildProgram(
  output?: { writeOut(text: string): void; writeErr(text: string): void },
  argv: string[] = process.argv,
): Command {
  const program = new Command('lastmile')
    .description('Sandbox, conformance kit and fixture factory for the last-mile delivery jobs API')
    .version((require('../package.json') as { version: string }).version)
    // Usage errors exit 2, as docs/server.md promises; subcommands inherit this when created.
    .exitOverride();
  if (output) program.configureOutput(output);
  const named = argv[2];
  const names = named !== undefined && Object.hasOwn(COMMANDS, named) ? [named] : Object.keys(COMMANDS);
  for (const name of names) COMMANDS[name]()(program);
  return program;
}

/** Exit status for a failure before or around a run: 0 for help and version, else 2 (usage). */
export function exitCodeFor(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : USAGE_ERROR;
  return USAGE_ERROR;
}

const USAGE_ERROR = 2;

export function main(argv: string[]): void {
  buildProgram(undefined, argv)
    .parseAsync(argv)
    .catch((error: unknown) => {
      // Commander has already printed its own parse errors; an action's own refusal it has not.
      const printed = error instanceof CommanderError && !(error instanceof InvalidArgumentError);
      if (!printed) process.stderr.write(`lastmile: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = exitCodeFor(error);
    });
}
