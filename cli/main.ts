import { Command } from 'commander';
import { registerMock } from './mock';
import { registerServe } from '../server/cli';
import { registerConform } from '../conformance/cli';
import { registerFixtures } from '../fixtures/cli';

export function buildProgram(): Command {
  const program = new Command('lastmile')
    .description('Sandbox, conformance kit and fixture factory for the last-mile delivery jobs API')
    .version(require('../package.json').version);
  registerServe(program);
  registerMock(program);
  registerConform(program);
  registerFixtures(program);
  return program;
}

export function main(argv: string[]): void {
  buildProgram().parseAsync(argv).catch((error: unknown) => {
    process.stderr.write(`lastmile: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  });
}
