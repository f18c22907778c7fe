'use strict';
// `npm run build` (and `prepare`, so `npm ci` runs it): compiles the TypeScript that the
// `lastmile` command runs into dist/, with the files it reads beside its modules, so that
// start-up loads JavaScript instead of compiling TypeScript, and bundles the console's browser
// modules (console/) into dist/console/console.js, so no request waits for esbuild. Tests run
// on the sources. `npm pack` and `npm publish` build at `prepack` (the package ships dist/ with
// its .d.ts declarations, no sources); the `prepare` they run next has nothing left to do.
const { spawnSync } = require('node:child_process');
const { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { dirname, join } = require('node:path');

const ROOT = join(__dirname, '..');
const DIST = join(ROOT, 'dist');
// Read at run time relative to the module that reads them.
const ASSETS = ['spec/openapi.yaml', 'server/console/public', 'fixtures/samples', 'cli/prism-header-guard.js'];

if (process.env.npm_lifecycle_event === 'prepare' && ['pack', 'publish'].includes(process.env.npm_command)) {
  process.exit(0);
}

rmSync(DIST, { recursive: true, force: true });
const tsc = spawnSync(
  process.execPath,
  [require.resolve('typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json')],
  { cwd: ROOT, stdio: 'inherit' },
);
if (tsc.status !== 0) {
  rmSync(DIST, { recursive: true, force: true });
  process.stderr.write('build: tsc failed; `lastmile` will run from the TypeScript sources\n');
  process.exit(tsc.status ?? 1);
}
for (const asset of ASSETS) cpSync(join(ROOT, asset), join(DIST, asset), { recursive: true });
// The spec parsed once here rather than at every start (spec/contract.ts reads it when present).
const { parse } = require('yaml');
writeFileSync(
  join(DIST, 'spec', 'openapi.parsed.json'),
  JSON.stringify(parse(readFileSync(join(ROOT, 'spec', 'openapi.yaml'), 'utf8'))),
);
// The console's bundle, made by the built server's own bundler (it writes in the spec's lifecycle and formats).
const { BUILT_SCRIPT, bundleConsoleScript } = require(join(DIST, 'server', 'console', 'script.js'));

async function bundleConsole() {
  try {
    mkdirSync(dirname(BUILT_SCRIPT), { recursive: true });
    writeFileSync(BUILT_SCRIPT, await bundleConsoleScript(join(ROOT, 'console', 'main.ts')));
  } catch (error) {
    rmSync(DIST, { recursive: true, force: true });
    process.stderr.write(
      `build: bundling the console failed; \`lastmile\` will run from the TypeScript sources\n${error}\n`,
    );
    process.exit(1);
  }
}

bundleConsole().then(() => {
  const { name, version } = require(join(ROOT, 'package.json'));
  // Written last: bin/lastmile.js takes its time as the build's, to tell a stale build.
  writeFileSync(
    join(DIST, 'package.json'),
    `${JSON.stringify({ name, version, private: true, type: 'commonjs' }, null, 2)}\n`,
  );
});
