/**
 * What `lastmile serve` loads: the server and what it needs, never the conformance kit, the
 * fixture factory or test-only code, and nothing for validation, the docs or the console
 * until a request needs it. Read from the child's own module cache as it exits.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '..');
const BIN = join(ROOT, 'bin', 'lastmile.js');
const MARK = 'loaded-modules:';

/** Starts `serve`, sends one request, stops it, and lists what it had loaded. */
async function modulesLoadedBy(request: (url: string) => Promise<unknown>): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'lastmile-startup-'));
  const hook = join(dir, 'report-modules.js');
  writeFileSync(
    hook,
    `process.on('exit', () => require('node:fs').writeSync(2, ${JSON.stringify(MARK)} + JSON.stringify(Object.keys(require.cache)) + '\\n'));\n`,
  );
  const child = spawn(process.execPath, ['-r', hook, BIN, 'serve', '--port', '0', '--log-level', 'silent'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    let out = '';
    let err = '';
    child.stderr.on('data', (chunk) => {
      err += chunk;
    });
    // 'close', not 'exit': the list is on stderr, which may still be in flight at 'exit'.
    const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk) => {
        out += chunk;
        const match = /Sandbox listening on (http:\/\/\S+)/.exec(out);
        if (match) resolve(match[1]);
      });
      child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
    });
    // An answer also means the banner's tick is over and the signal handlers are in place.
    await request(url);
    child.kill('SIGTERM');
    await exited;
    const line = err.split('\n').find((l) => l.startsWith(MARK));
    if (!line) throw new Error(`no module list (exit ${child.exitCode}, ${child.signalCode}): ${err}`);
    return (JSON.parse(line.slice(MARK.length)) as string[]).map((path) => relative(ROOT, path));
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('lastmile serve start-up', () => {
  it('answers /healthz having loaded the server, and no kit, fixture, test-only, validation or docs code', async () => {
    const loaded = await modulesLoadedBy(async (url) => expect((await fetch(`${url}/healthz`)).status).toBe(200));
    expect(loaded).toEqual(expect.arrayContaining(['server/http/app.ts', 'server/http/routes.ts', 'spec/contract.ts']));
    const unwanted = loaded.filter(
      (path) =>
        /^(conformance|client|fixtures|test)\//.test(path) ||
        /\.test\.ts$/.test(path) ||
        /node_modules\/(ajv|ajv-formats|@faker-js|swagger-ui-dist|@stoplight)\//.test(path),
    );
    expect(unwanted).toEqual([]);
  });

  it('loads the validators with the first request that needs them', async () => {
    const loaded = await modulesLoadedBy((url) =>
      fetch(`${url}/sandbox/clock/advance`, {
        method: 'POST',
        headers: { 'x-api-key': 'startup', 'content-type': 'application/json' },
        body: '{"seconds": 1}',
      }),
    );
    expect(loaded.some((path) => path.startsWith('node_modules/ajv/'))).toBe(true);
  });
});
