/**
 * Before any test: make sure the programs the selected tests drive are there (Chromium,
 * redis-server), and start the Redis Cluster the cluster suites share (test/global-teardown.ts
 * stops it).
 */
import { join } from 'node:path';
import { startSharedRedisCluster, type RunningRedis } from './support/redis-server';
import { CHROMIUM, ensurePackage, realHost, REDIS_SERVER, type SystemPackage } from './support/system-packages';

const ROOT = join(__dirname, '..');
const under = (paths: string[]) => paths.map((p) => join(ROOT, p));
export const BROWSER_TESTS = under([
  'server/console/console.browser.test.ts',
  'server/http/docs.browser.test.ts',
  'test/redis/console-proxy.browser.test.ts',
]);
/** The suites that take the run's shared Redis Cluster (`sharedRedisCluster()`): one start instead of one each. */
export const CLUSTER_TESTS = under([
  'test/redis/durable-outbox.test.ts',
  'test/redis/instances.test.ts',
  'server/store/pending-index.test.ts',
  'server/store/due-index.test.ts',
]);
/** Every suite that starts a redis-server: the Redis tests and the suites run on both stores. */
export const REDIS_TESTS = under([
  'test/redis/durable-outbox.test.ts',
  'test/redis/console-events.test.ts',
  'test/redis/instances.test.ts',
  'test/redis/listen.test.ts',
  'test/redis/unavailable.test.ts',
  'test/redis/operations.test.ts',
  'test/redis/console-proxy.browser.test.ts',
  'server/application/sandbox.test.ts',
  'server/webhooks/outbox.test.ts',
  'server/store/pending-index.test.ts',
  'server/store/redis-round-trips.test.ts',
  'server/store/due-index.test.ts',
  'test/redis/keys-at-rest.test.ts',
  'test/redis/reconnect.test.ts',
]);

interface PathFilter {
  isSet?(): boolean;
  isMatch?(path: string): boolean;
}
interface SelectedPaths {
  rootDir?: string;
  testPathPatterns?: PathFilter & { toExecutor?(options: { rootDir: string }): PathFilter };
}

/** Whether a jest run with these path filters includes one of these tests (every run without filters does). */
export function includesAny(config: SelectedPaths, tests: readonly string[]): boolean {
  const patterns = config.testPathPatterns;
  if (!patterns?.isSet?.()) return true;
  const filter =
    typeof patterns.toExecutor === 'function' ? patterns.toExecutor({ rootDir: config.rootDir ?? ROOT }) : patterns;
  if (typeof filter.isMatch !== 'function') return true;
  return tests.some((path) => filter.isMatch!(path));
}

export const includesBrowserTests = (config: SelectedPaths) => includesAny(config, BROWSER_TESTS);

/** What the teardown stops: jest runs both hooks in its own process, each module loaded apart. */
export const running = ((globalThis as { lastmileTestRun?: { sharedCluster?: RunningRedis } }).lastmileTestRun ??= {});

export default async function globalSetup(globalConfig: SelectedPaths): Promise<void> {
  const needed: Array<[SystemPackage, readonly string[]]> = [
    [CHROMIUM, BROWSER_TESTS],
    [REDIS_SERVER, REDIS_TESTS],
  ];
  for (const [pkg, tests] of needed) if (includesAny(globalConfig, tests)) ensurePackage(realHost, pkg);
  if (includesAny(globalConfig, CLUSTER_TESTS) && !running.sharedCluster) {
    running.sharedCluster = await startSharedRedisCluster();
  }
}
