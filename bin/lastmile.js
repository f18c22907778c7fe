#!/usr/bin/env node
'use strict';
// Runs the JavaScript built into dist/: the only thing an installed package has. In a clone
// (`npm ci` builds it too), without a build, with one older than the sources, or with
// LASTMILE_FROM_SOURCE=1 (the tests), it compiles the TypeScript sources at start-up instead,
// which is correct but slower and needs the development dependencies (tsx).
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

const ROOT = join(__dirname, '..');
const BUILD_STAMP = join(ROOT, 'dist', 'package.json');
const SOURCES = ['spec', 'client', 'server', 'conformance', 'fixtures', 'cli', 'console'];

function buildTime() {
  try {
    return statSync(BUILD_STAMP).mtimeMs;
  } catch {
    return null;
  }
}

/** Whether any file the build is made of changed after it (a hundred stats, about a millisecond). */
function changedSince(time) {
  const walk = (dir) =>
    readdirSync(dir, { withFileTypes: true }).some((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return walk(path);
      return !entry.name.endsWith('.test.ts') && !entry.name.endsWith('.md') && statSync(path).mtimeMs > time;
    });
  return SOURCES.some((dir) => walk(join(ROOT, dir)));
}

function fromSources(reason) {
  if (reason)
    process.stderr.write(
      `lastmile: ${reason}; running the TypeScript sources (slower start-up; \`npm run build\` to fix)\n`,
    );
  require('tsx/cjs');
  return require('../cli/main.ts');
}

/** A clone has the sources; the package installed from the registry or a tarball has only dist/. */
const IN_CLONE = existsSync(join(ROOT, 'cli', 'main.ts'));

let cli;
if (!IN_CLONE) {
  if (buildTime() === null) {
    process.stderr.write(
      `lastmile: this installation of lastmile-kit has no dist/ folder; install the package again\n`,
    );
    process.exit(1);
  }
  cli = require('../dist/cli/main.js');
} else if (process.env.LASTMILE_FROM_SOURCE === '1') cli = fromSources(null);
else {
  const built = buildTime();
  if (built === null) cli = fromSources('no build in dist/');
  else if (changedSince(built)) cli = fromSources('the build in dist/ is older than the sources');
  else cli = require('../dist/cli/main.js');
}
cli.main(process.argv);
