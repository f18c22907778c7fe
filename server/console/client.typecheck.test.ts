/**
 * The console's browser modules (console/) type-check as browser code: the DOM and the spec's types, and none of
 * Node's (`npm run typecheck` sees them beside the server, where Node's types are in scope).
 */
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';

const ROOT = join(__dirname, '..', '..');
const CONFIG = join(ROOT, 'console', 'tsconfig.json');
/** Parsing the DOM's declarations takes a few seconds alone, far longer on a busy machine. */
const CHECK_TIMEOUT_MS = 120_000;

function browserProgram(): ts.Program {
  const { config, error } = ts.readConfigFile(CONFIG, (path) => ts.sys.readFile(path));
  if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, dirname(CONFIG));
  return ts.createProgram(parsed.fileNames, parsed.options);
}

test(
  'the console modules compile for the browser, strict, without Node',
  () => {
    const program = browserProgram();
    const options = program.getCompilerOptions();
    expect(options.strict).toBe(true);
    expect(options.types).toEqual([]);
    const ours = program
      .getSourceFiles()
      .map((f) => relative(ROOT, f.fileName))
      .filter((f) => !f.startsWith('node_modules'));
    expect(ours).toEqual(expect.arrayContaining(['console/main.ts', 'console/model.ts', 'spec/types.gen.ts']));
    expect(
      ours.filter((f) => !/^(console\/|server\/console\/ticket-answer\.ts$|spec\/types\.gen\.ts$)/.test(f)),
    ).toEqual([]);
    const problems = ts.getPreEmitDiagnostics(program).map((d) => {
      const where = d.file
        ? `${relative(__dirname, d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1} `
        : '';
      return `${where}${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
    expect(problems).toEqual([]);
  },
  CHECK_TIMEOUT_MS,
);
