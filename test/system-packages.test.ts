/** `npm test` on a machine without Chromium or redis-server: install it when possible, else stop at once with the command. */
import { execSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CHROMIUM,
  ensurePackage,
  installCommand,
  PackageMissing,
  REDIS_SERVER,
  type Host,
  type SystemPackage,
} from './support/system-packages';
import { CLUSTER_TESTS, includesAny, includesBrowserTests, REDIS_TESTS } from './global-setup';

function host(overrides: Partial<Host> & { installs?: boolean } = {}): Host & { ran: string[] } {
  let installed = false;
  const ran: string[] = [];
  return {
    exists: () => installed,
    isRoot: () => true,
    hasAptGet: () => true,
    run: (command, args) => {
      ran.push([command, ...args].join(' '));
      if (args[0] === 'install' && overrides.installs !== false) installed = true;
      return overrides.installs === false && args[0] === 'install' ? 100 : 0;
    },
    log: () => undefined,
    ...overrides,
    ran,
  };
}

describe.each<[string, SystemPackage]>([
  ['chromium', CHROMIUM],
  ['redis-server', REDIS_SERVER],
])('ensurePackage(%s)', (name, pkg) => {
  it('does nothing when the program is there', () => {
    const h = host({ exists: () => true });
    ensurePackage(h, pkg);
    expect(h.ran).toEqual([]);
  });

  it('installs the Debian package with apt-get when root and apt-get are available', () => {
    const h = host();
    ensurePackage(h, pkg);
    expect(h.ran).toEqual(['apt-get update', `apt-get install -y ${name}`]);
  });

  it.each([
    ['not root', { isRoot: () => false }],
    ['no apt-get', { hasAptGet: () => false }],
  ])('stops at once with the one command to run when %s', (_label, overrides) => {
    const h = host(overrides);
    expect(() => ensurePackage(h, pkg)).toThrow(PackageMissing);
    expect(() => ensurePackage(h, pkg)).toThrow(installCommand(pkg));
    expect(h.ran).toEqual([]);
  });

  it('says so, with the command, when the install fails', () => {
    const h = host({ installs: false });
    expect(() => ensurePackage(h, pkg)).toThrow(
      new RegExp(
        `Installing ${name} with apt-get failed.*\\n\\n {2}sudo apt-get update && sudo apt-get install -y ${name}`,
        's',
      ),
    );
  });
});

describe('which runs need redis-server', () => {
  it('names every suite that starts one, and only suites that exist', () => {
    for (const path of REDIS_TESTS) expect([path, existsSync(path)]).toEqual([path, true]);
    const root = join(__dirname, '..');
    const starting = execSync('git ls-files "*.test.ts"', { cwd: root, encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter((file) => /support\/(redis-server|stores)'/.test(readFileSync(join(root, file), 'utf8')))
      .map((file) => join(root, file));
    expect(starting.length).toBeGreaterThan(0);
    expect(starting.filter((file) => !REDIS_TESTS.includes(file))).toEqual([]);
  });
  it('every unfiltered run, and a run of the Redis tests, but not a run of fixtures only', () => {
    const patterns = (regex: RegExp | null) => ({
      testPathPatterns: { isSet: () => regex !== null, isMatch: (p: string) => regex === null || regex.test(p) },
    });
    expect(includesAny(patterns(null), REDIS_TESTS)).toBe(true);
    expect(includesAny(patterns(/test\/redis/), REDIS_TESTS)).toBe(true);
    expect(includesAny(patterns(/fixtures\//), REDIS_TESTS)).toBe(false);
    expect(REDIS_TESTS).toContain(join(__dirname, 'redis', 'instances.test.ts'));
  });
});

describe('which runs start the shared Redis Cluster', () => {
  it('names every suite that takes it, each also a Redis suite', () => {
    const root = join(__dirname, '..');
    const taking = execSync('git ls-files "*.test.ts"', { cwd: root, encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter((file) =>
        /sharedRedisCluster|STORE_KINDS_WITH_CLUSTER|'redis-cluster'/.test(readFileSync(join(root, file), 'utf8')),
      )
      .map((file) => join(root, file))
      .filter((file) => file !== __filename);
    expect(taking.length).toBeGreaterThan(0);
    expect(taking.filter((file) => !CLUSTER_TESTS.includes(file))).toEqual([]);
    expect(CLUSTER_TESTS.filter((file) => !REDIS_TESTS.includes(file))).toEqual([]);
  });
});

describe('which runs need Chromium', () => {
  const patterns = (regex: RegExp | null) => ({
    testPathPatterns: { isSet: () => regex !== null, isMatch: (p: string) => regex === null || regex.test(p) },
  });
  it('every unfiltered run, and a run that selects a browser test', () => {
    expect(includesBrowserTests(patterns(null))).toBe(true);
    expect(includesBrowserTests(patterns(/console/))).toBe(true);
    expect(includesBrowserTests({})).toBe(true);
  });
  it('not a run of other tests only', () => {
    expect(includesBrowserTests(patterns(/fixtures\//))).toBe(false);
  });
  it('reads the filters jest itself passes', () => {
    // jest ships this module as CommonJS only.
    const { TestPathPatterns } = require('@jest/pattern');
    expect(includesBrowserTests({ testPathPatterns: new TestPathPatterns(['fixtures/money']) })).toBe(false);
    expect(includesBrowserTests({ testPathPatterns: new TestPathPatterns(['console.browser']) })).toBe(true);
    expect(includesBrowserTests({ testPathPatterns: new TestPathPatterns([]) })).toBe(true);
  });
});
