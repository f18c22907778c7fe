// A consumer's Jest set-up as docs/testing.md shows it: one sandbox for the run, in a child process.
module.exports = {
  testEnvironment: 'node',
  testMatch: ['**/checkout.test.js'],
  globalSetup: './sandbox-setup.js',
  globalTeardown: './sandbox-teardown.js',
};
