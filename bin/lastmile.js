#!/usr/bin/env node
'use strict';
// Runs the JavaScript built into dist/: the only thing an installed package has. In a clone
// (`npm ci` builds it too), without a build, with one older than the sources, or with
// LASTMILE_FROM_SOURCE=1 (the tests), it compiles the TypeScript sources at start-up instead,
// which is correct but slower and needs the development dependencies (tsx).
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const ROOT = join(__dirname, '..');

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
  if (!existsSync(join(ROOT, 'dist', 'package.json'))) {
    process.stderr.write(
      `lastmile: this installation of lastmile-kit has no dist/ folder; install the package again\n`,
    );
    process.exit(1);
  }
  cli = require('../dist/cli/main.js');
} else if (process.env.LASTMILE_FROM_SOURCE === '1') cli = fromSources(null);
else {
  // Only a clone has scripts/; an installed package never reads it.
  const stale = require('../scripts/build-freshness.js').staleBuild();
  cli = stale === null ? require('../dist/cli/main.js') : fromSources(stale);
}
cli.main(process.argv);
