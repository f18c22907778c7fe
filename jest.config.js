// Commands the tests spawn run the sources under test, never a build that may be older.
process.env.LASTMILE_FROM_SOURCE = '1';
// The in-memory store freezes what it commits, in this process and in every server a test
// spawns: a domain change that edits a stored record in place fails the tests loudly.
process.env.LASTMILE_FREEZE_RECORDS = '1';

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  modulePathIgnorePatterns: ['<rootDir>/dist/'],
  transform: {
    '^.+\\.[tj]sx?$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!@faker-js/faker/)'],
  // examples/ import the package by its name, as its users do: here, its sources.
  moduleNameMapper: {
    '^lastmile-kit$': '<rootDir>/index.ts',
    '^lastmile-kit/(.*)$': '<rootDir>/$1/index.ts',
    // The package with a parse that keeps large results between test files (see the file).
    '^yaml$': '<rootDir>/test/support/yaml.ts',
  },
  testTimeout: 30000,
  // Most suites wait on child processes and sockets, not the CPU: two at a time halves the run on two cores.
  maxWorkers: 2,
  // Installs Chromium for the browser tests when it can, else stops at once with the command to run;
  // starts the Redis Cluster the cluster suites share, which the teardown stops.
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
  reporters: ['default', '<rootDir>/test/summary-reporter.js'],
};
