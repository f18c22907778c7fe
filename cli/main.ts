import { Command } from 'commander';

type Register = (program: Command) => void;

/**
 * Each command's module is loaded only when that command runs (or help lists them all):
 * `serve` never loads the conformance kit or the fixture factory, and their start-up cost.
 */
const COMMANDS: Record<string, () => Register> = {
  serve: () => require('../server/cli').registerServe,
  mock: () => require('./mock').registerMock,
  conform: () => require('../conformance/cli').registerConform,
  fixtures: () => require('../fixtures/cli').registerFixtures,
};

/** With `argv` naming a command, only that command is registered; otherwise all of them. */
export function buildProgram(argv: string[] = process.argv): Command {
  const program = new Command('lastmile')
    .description('Sandbox, conformance kit and fixture factory for the last-mile delivery jobs API')
    .version(require('../package.json').version);
  const named = argv[2];
  const names = named !== undefined && Object.hasOwn(COMMANDS, named) ? [named] : Object.keys(COMMANDS);
  for (const name of names) COMMANDS[name]()(program);
  return program;
}

export function main(argv: string[]): void {
  buildProgram().parseAsync(argv).catch((error: unknown) => {
    process.stderr.write(`lastmile: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  });
}
