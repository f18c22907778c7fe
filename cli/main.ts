import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { registerMock } from './mock';
import { registerServe } from '../server/cli';
import { registerConform } from '../conformance/cli';
import { registerFixtures } from '../fixtures/cli';

export function buildProgram(output?: { writeOut(text: string): void; writeErr(text: string): void }): Command {
  const program = new Command('lastmile')
    .description('Sandbox, conformance kit and fixture factory for the last-mile delivery jobs API')
    .version(require('../package.json').version)
    // Usage errors exit 2, as the README promises; subcommands inherit this when created.
    .exitOverride();
  if (output) program.configureOutput(output);
  registerServe(program);
  registerMock(program);
  registerConform(program);
  registerFixtures(program);
  return program;
}

/** Exit status for a failure before or around a run: 0 for help and version, else 2 (usage). */
export function exitCodeFor(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : USAGE_ERROR;
  return USAGE_ERROR;
}

export const USAGE_ERROR = 2;

export function main(argv: string[]): void {
  buildProgram().parseAsync(argv).catch((error: unknown) => {
    // Commander has already printed its own parse errors; an action's own refusal it has not.
    const printed = error instanceof CommanderError && !(error instanceof InvalidArgumentError);
    if (!printed) process.stderr.write(`lastmile: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = exitCodeFor(error);
  });
}
