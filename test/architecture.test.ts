/**
 * The dependency rules that keep the kit honest, checked on the import graph that
 * dependency-cruiser reads (static imports, `require` and `import()` alike, and type-only
 * imports, which the compiler erases but a reader still follows), tests included.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const ROOT = join(__dirname, '..');
const CRUISER = join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
const ENTRY = 'bin/lastmile.js';
const SOURCE_DIRS = [
  'bin',
  'cli',
  'spec',
  'client',
  'sandbox',
  'server',
  'conformance',
  'fixtures',
  'scripts',
  'test',
  'console',
  'examples',
];
/** What `require('lastmile-kit')` loads first. */
const PACKAGE_ENTRY = 'index.ts';
/** Cruising the repository takes a few seconds alone, far longer on a busy machine. */
const CRUISE_TIMEOUT_MS = 120_000;

interface Dependency {
  module: string;
  resolved: string;
  coreModule: boolean;
  couldNotResolve: boolean;
  circular: boolean;
  cycle?: Array<{ name: string }>;
}
interface Module {
  source: string;
  dependencies: Dependency[];
}

async function cruise(roots: string[]): Promise<Module[]> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      CRUISER,
      ...roots,
      '--no-config',
      '--ts-config',
      'tsconfig.json',
      '--ts-pre-compilation-deps',
      '--do-not-follow',
      '^node_modules',
      '--output-type',
      'json',
    ],
    { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 },
  );
  return (JSON.parse(stdout) as { modules: Module[] }).modules;
}

const isOurs = (path: string) => SOURCE_DIRS.some((dir) => path.startsWith(`${dir}/`));
const isTestOnly = (path: string) => /\.test\.ts$/.test(path) || path.startsWith('test/') || path.includes('mutant');
/** Each module with the modules of ours it imports. */
const localImports = (modules: Module[]) =>
  modules
    .filter((m) => isOurs(m.source))
    .map((m) => ({
      file: m.source,
      imports: m.dependencies.filter((d) => !d.coreModule && isOurs(d.resolved)).map((d) => d.resolved),
    }));

let everything: Module[];
let fromEntry: Module[];

beforeAll(async () => {
  [everything, fromEntry] = await Promise.all([
    cruise(SOURCE_DIRS.filter((d) => existsSync(join(ROOT, d)))),
    cruise([ENTRY, PACKAGE_ENTRY]),
  ]);
}, CRUISE_TIMEOUT_MS);

describe('dependency rules, tests included', () => {
  it('reads the whole tree, tests and their helpers too', () => {
    const files = everything.map((m) => m.source);
    expect(files).toEqual(
      expect.arrayContaining([
        ENTRY,
        'server/http/app.ts',
        'fixtures/server.test.ts',
        'test/mutants/tools.ts',
        'conformance/runner/e2e.test.ts',
        'client/http.ts',
        'test/support/harness.ts',
      ]),
    );
    const unresolvedOfOurs = everything.flatMap((m) =>
      m.dependencies
        .filter((d) => d.couldNotResolve && d.module.startsWith('.'))
        .map((d) => `${m.source} -> ${d.module}`),
    );
    expect(unresolvedOfOurs).toEqual([]);
  });

  it('spec/ imports nothing of ours', () => {
    const spec = localImports(everything).filter((m) => m.file.startsWith('spec/'));
    expect(spec.length).toBeGreaterThan(0);
    expect(spec.filter((m) => m.imports.some((p) => !p.startsWith('spec/')))).toEqual([]);
  });

  it('conformance/, fixtures/ and client/ never import from server/', () => {
    const kit = localImports(everything).filter((m) => /^(conformance|fixtures|client)\//.test(m.file));
    expect(kit.map((m) => m.file.split('/')[0])).toEqual(expect.arrayContaining(['conformance', 'fixtures', 'client']));
    expect(kit.filter((m) => m.imports.some((p) => p.startsWith('server/')))).toEqual([]);
  });

  it('client/ imports only the contract (spec/), nothing of the kit', () => {
    const client = localImports(everything).filter((m) => m.file.startsWith('client/') && !m.file.endsWith('.test.ts'));
    expect(client.length).toBeGreaterThan(0);
    expect(client.filter((m) => m.imports.some((p) => !/^(client|spec)\//.test(p)))).toEqual([]);
  });

  it('the store stands below the console: no server/store module imports server/console', () => {
    const store = localImports(everything).filter((m) => m.file.startsWith('server/store/'));
    expect(store.length).toBeGreaterThan(0);
    const upward = store.flatMap((m) =>
      m.imports.filter((p) => p.startsWith('server/console/')).map((p) => `${m.file} -> ${p}`),
    );
    expect(upward).toEqual([]);
  });

  it('the domain and the outbox never import Express', () => {
    const core = everything.filter((m) => /^server\/(domain|webhooks)\//.test(m.source));
    expect(core.length).toBeGreaterThan(0);
    const leaks = core.flatMap((m) =>
      m.dependencies
        .filter(
          (d) => d.module === 'express' || d.module.startsWith('express/') || d.resolved.startsWith('server/http/'),
        )
        .map((d) => `${m.source} -> ${d.resolved}`),
    );
    expect(leaks).toEqual([]);
  });

  it("examples/ import the package by its name only, as a user's copy of them would", () => {
    const examples = everything.filter((m) => m.source.startsWith('examples/'));
    expect(examples.length).toBeGreaterThan(0);
    const reachingIn = examples.flatMap((m) =>
      m.dependencies
        .filter((d) => d.module.startsWith('.') && !d.resolved.startsWith('examples/'))
        .map((d) => `${m.source} -> ${d.module}`),
    );
    expect(reachingIn).toEqual([]);
  });

  it('test-only code is never reachable from the command line, bin/lastmile.js, nor from the package, index.ts', () => {
    const reachable = fromEntry.map((m) => m.source);
    expect(reachable).toEqual(
      expect.arrayContaining([
        'cli/main.ts',
        'server/cli.ts',
        'server/http/app.ts',
        'conformance/runner/runner.ts',
        'client/http.ts',
        'fixtures/run.ts',
        'sandbox/index.ts',
        'client/index.ts',
      ]),
    );
    expect(reachable.filter(isTestOnly)).toEqual([]);
  });

  it('has no import cycles, type-only imports included', () => {
    const cycles = everything.flatMap((m) =>
      m.dependencies
        .filter((d) => d.circular)
        .map((d) => [m.source, ...(d.cycle ?? []).map((step) => step.name)].join(' -> ')),
    );
    expect(cycles).toEqual([]);
  });
});
