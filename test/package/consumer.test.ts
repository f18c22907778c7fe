/**
 * The package as its users get it: packed (built at prepack), installed into a fresh project
 * from the npm cache without the network, then used from TypeScript, ESM, CommonJS and the
 * command line. One pack and one install serve every test here.
 */
import { execFile, spawn } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cleanEnv, consumerFiles, install, pack, ROOT, tempDir, type Installed, type Packed } from './pack';

const run = promisify(execFile);
/** Packing builds the whole project with tsc: minutes on a busy machine. */
const SETUP_TIMEOUT_MS = 8 * 60_000;
const STEP_TIMEOUT_MS = 3 * 60_000;

let dir: string;
let packed: Packed;
let installed: Installed;

beforeAll(async () => {
  dir = tempDir();
  packed = await pack(dir);
  installed = await install(packed, dir);
  for (const file of consumerFiles()) copyFileSync(join(__dirname, 'consumer', file), join(installed.dir, file));
  process.stdout.write(
    `package: ${packed.files.length} files, ${(packed.size / 1024).toFixed(0)} kB packed, ${(packed.unpackedSize / 1024).toFixed(0)} kB unpacked, packed in ${packed.ms} ms; ` +
      `consumer install: ${installed.packages} packages in ${installed.ms} ms\n`,
  );
}, SETUP_TIMEOUT_MS);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Runs a consumer's script with node; a process left running by an open handle fails on the timeout. */
async function node(script: string) {
  return run(process.execPath, [script], { cwd: installed.dir, env: cleanEnv(), timeout: STEP_TIMEOUT_MS });
}

describe('the tarball', () => {
  const BANNED = [
    /(^|\/)test\//,
    /\.test\.[cm]?[jt]s$/,
    /(^|\/)bench/i,
    /^scripts\//,
    /(^|\/)\.ci\//,
    /(^|\/)\.github\//,
    /BENCHMARKS/i,
    /(^|\/)(testing|mutants|variants)\//,
    /tsconfig/,
    /jest\.config/,
  ];

  it('holds the build, its declarations, the spec, the README and the license, and nothing of the tests, benchmarks or CI', () => {
    const paths = packed.files.map((file) => file.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'package.json',
        'README.md',
        'LICENSE',
        'bin/lastmile.js',
        'spec/openapi.yaml',
        'dist/index.js',
        'dist/index.d.ts',
        'dist/sandbox/index.js',
        'dist/client/index.d.ts',
        'dist/conformance/index.d.ts',
        'dist/fixtures/index.d.ts',
        'dist/cli/main.js',
      ]),
    );
    expect(paths.filter((path) => BANNED.some((pattern) => pattern.test(path)))).toEqual([]);
    expect(paths.filter((path) => path.endsWith('.ts') && !path.endsWith('.d.ts'))).toEqual([]);
  });

  it('installs without a TypeScript compiler, tsx, esbuild, or Prism (an optional peer dependency)', () => {
    const modules = readdirSync(join(installed.dir, 'node_modules'));
    expect(modules).toContain('lastmile-kit');
    expect(modules.filter((name) => ['typescript', 'tsx', 'esbuild', '@stoplight'].includes(name))).toEqual([]);
  });
});

describe('a consumer project', () => {
  it(
    'type-checks against the declarations, and tsc refuses a wrong path and a wrong body',
    async () => {
      const config = JSON.parse(readFileSync(join(installed.dir, 'tsconfig.json'), 'utf8'));
      // The project's own @types/node, as a consumer would have it.
      config.compilerOptions.typeRoots = [join(ROOT, 'node_modules', '@types')];
      writeFileSync(join(installed.dir, 'tsconfig.json'), JSON.stringify(config));
      const tsc = require.resolve('typescript/bin/tsc');
      const result = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], {
        cwd: installed.dir,
        timeout: STEP_TIMEOUT_MS,
      }).then(
        () => ({ stdout: '' }),
        (error: { stdout: string }) => error,
      );
      const errorLines = [...result.stdout.matchAll(/^([\w.-]+)\((\d+),\d+\): error/gm)].map((m) => `${m[1]}:${m[2]}`);
      const wrong = readFileSync(join(installed.dir, 'wrong.ts'), 'utf8').split('\n');
      const marked = wrong.flatMap((line, i) => (line.includes('// WRONG') ? [`wrong.ts:${i + 1}`] : []));
      expect(marked).toHaveLength(2);
      expect([...new Set(errorLines)]).toEqual(marked);
    },
    STEP_TIMEOUT_MS,
  );

  it.each(['esm.mjs', 'cjs.cjs'])(
    '%s starts a sandbox, creates a job, gets 417 after a clock advance, closes, and exits by itself',
    async (script) => {
      const { stdout } = await node(script);
      expect(stdout).toMatch(/job [\w-]+ created, then 417 SLOT_EXPIRED/);
    },
    STEP_TIMEOUT_MS,
  );

  it(
    'runs Jest tests with a sandbox per file and one shared by a global setup, and Jest exits by itself',
    async () => {
      const jest = join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js');
      const { stdout, stderr } = await run(process.execPath, [jest, '--ci', '--config', 'jest.config.js'], {
        cwd: installed.dir,
        env: cleanEnv(),
        timeout: STEP_TIMEOUT_MS,
      });
      expect(`${stdout}${stderr}`).toMatch(/Tests:\s+2 passed, 2 total/);
      expect(`${stdout}${stderr}`).not.toMatch(/did not exit|open handle/i);
    },
    STEP_TIMEOUT_MS,
  );

  it(
    'runs the installed lastmile serve from the build, console included',
    async () => {
      const bin = join(installed.dir, 'node_modules', '.bin', 'lastmile');
      expect(existsSync(join(installed.dir, 'node_modules', 'lastmile-kit', 'cli'))).toBe(false);
      const started = process.hrtime.bigint();
      const child = spawn(bin, ['serve', '--port', '0'], {
        cwd: installed.dir,
        env: cleanEnv(),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
      });
      try {
        const url = await new Promise<string>((resolve, reject) => {
          let stdout = '';
          child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
            stdout += chunk;
            const match = /Sandbox listening on (\S+)/.exec(stdout);
            if (match) resolve(match[1]);
          });
          child.once('exit', (code) => reject(new Error(`lastmile serve exited with ${code}: ${stderr}`)));
        });
        const health = await fetch(`${url}/healthz`);
        expect(health.status).toBe(200);
        process.stdout.write(
          `installed lastmile serve: /healthz answered ${(Number(process.hrtime.bigint() - started) / 1e6).toFixed(0)} ms after spawn\n`,
        );
        // The console's script was bundled at build time: no bundler is installed to make it now.
        const script = await fetch(`${url}/console/assets/console.js`);
        expect(script.status).toBe(200);
        expect(await script.text()).toContain('CLIENT_RECEIVED');
        expect(stderr).toBe('');
      } finally {
        child.kill('SIGTERM');
      }
    },
    STEP_TIMEOUT_MS,
  );

  it(
    'says how to install Prism when lastmile mock runs without it',
    async () => {
      const bin = join(installed.dir, 'node_modules', '.bin', 'lastmile');
      const failure = await run(bin, ['mock', '--port', '0'], {
        cwd: installed.dir,
        env: cleanEnv(),
        timeout: STEP_TIMEOUT_MS,
      }).then(
        () => null,
        (error: { code: number; stderr: string }) => error,
      );
      expect(failure).toMatchObject({
        code: 2,
        stderr: expect.stringContaining('npm install --save-dev @stoplight/prism-cli@'),
      });
    },
    STEP_TIMEOUT_MS,
  );
});
