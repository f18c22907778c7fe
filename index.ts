/**
 * lastmile-kit as a library: the sandbox for tests (startSandbox, spawnSandbox), the typed
 * client (createClient), the conformance kit (runConformance) and the fixture factory
 * (generateOrders). The kit and the factory are loaded on first call: they bring faker, which
 * is ECMAScript-modules only and which a test runner such as Jest cannot load without a
 * transform, so a test that only starts a sandbox never loads them. Their full surfaces are
 * `lastmile-kit/conformance` and `lastmile-kit/fixtures`.
 */
import type * as Kit from './conformance';
import type * as Fixtures from './fixtures';

export * from './sandbox';
export * from './client';
export type { ConformanceOptions, RunResult, CheckResult, Failure, ReportTarget } from './conformance';
export type { GenerateOptions, OrderFixture, InvalidOrderFixture, LocaleCode, ScenarioOption } from './fixtures';

const kit = () => require('./conformance') as typeof Kit;
const fixtures = () => require('./fixtures') as typeof Fixtures;

/** Judges any implementation of the contract over HTTP; see `lastmile conform`. */
export const runConformance: typeof Kit.runConformance = (options) => kit().runConformance(options);
/** Writes the run's reports (`junit=FILE`, `json=FILE`, `html=FILE`) and returns their paths. */
export const writeReports: typeof Kit.writeReports = (run, targets) => kit().writeReports(run, targets);
/** Orders `first .. first+count-1` of a seeded run, generated lazily. */
export const generateOrders: typeof Fixtures.generateOrders = (options) => fixtures().generateOrders(options);
export const generateInvalidOrders: typeof Fixtures.generateInvalidOrders = (options) =>
  fixtures().generateInvalidOrders(options);
