'use strict';
// Whether the build in dist/ is current: made after every source file it is built from. Read
// by bin/lastmile.js in a clone (to run the sources instead of a stale build) and by the
// package test (to pack the current build instead of building it again).
const { readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

const ROOT = join(__dirname, '..');
const BUILD_STAMP = join(ROOT, 'dist', 'package.json');
const SOURCES = ['spec', 'client', 'server', 'conformance', 'fixtures', 'cli', 'console'];

/** When the build finished (scripts/build.js writes dist/package.json last), or null without one. */
function buildTime() {
  try {
    return statSync(BUILD_STAMP).mtimeMs;
  } catch {
    return null;
  }
}

/** Whether any file the build is made of changed after `time` (a hundred stats, about a millisecond). */
function changedSince(time) {
  const walk = (dir) =>
    readdirSync(dir, { withFileTypes: true }).some((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return walk(path);
      return !entry.name.endsWith('.test.ts') && !entry.name.endsWith('.md') && statSync(path).mtimeMs > time;
    });
  return SOURCES.some((dir) => walk(join(ROOT, dir)));
}

/** Why dist/ cannot be used as it is, or null when it is current. */
function staleBuild() {
  const built = buildTime();
  if (built === null) return 'no build in dist/';
  if (changedSince(built)) return 'the build in dist/ is older than the sources';
  return null;
}

module.exports = { staleBuild };
