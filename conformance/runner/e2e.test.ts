/**
 * The kit as a user runs it: the reference server started by its CLI on an ephemeral port,
 * `lastmile conform` spawned against it, and the reports it writes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { catalogue } from '../checks/catalogue';
import { runConformance } from './runner';
import { findAll, parseXml } from '../../test/support/xml';

const BIN = join(__dirname, '..', '..', 'bin', 'lastmile.js');
const STARTUP_TIMEOUT_MS = 20_000;

interface Started {
  url: string;
  child: ChildProcess;
}

function startServer(args: string[]): Promise<Started> {
  const child = spawn(
    process.execPath,
    [BIN, 'serve', '--port', '0', '--host', '127.0.0.1', '--log-level', 'silent', ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start: ${out}${err}`));
    }, STARTUP_TIMEOUT_MS);
    child.stderr.on('data', (chunk) => {
      err += chunk;
    });
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /Sandbox listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve({ url: match[1], child });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${out}${err}`));
    });
  });
}

function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

function conform(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, 'conform', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

describe('lastmile conform against the reference server', () => {
  let restricted: Started | undefined;
  let open: Started | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'lastmile-conform-'));

  beforeAll(async () => {
    [restricted, open] = await Promise.all([startServer(['--api-keys', 'conform-a,conform-b']), startServer([])]);
  }, STARTUP_TIMEOUT_MS + 5000);
  afterAll(() => Promise.all([stop(restricted?.child), stop(open?.child)]));

  it('passes every check, exits 0, and writes JUnit, JSON and HTML reports', async () => {
    const junit = join(dir, 'reports', 'conformance.xml');
    const html = join(dir, 'reports', 'conformance.html');
    const json = join(dir, 'conformance.json');
    const { code, stdout, stderr } = await conform([
      '--base-url',
      restricted!.url,
      '--api-key',
      'conform-a',
      '--second-api-key',
      'conform-b',
      '--allow-reset',
      '--report',
      `junit=${junit}`,
      '--report',
      `html=${html}`,
      '--report',
      `json=${json}`,
    ]);
    const lines = stdout.trim().split('\n');
    expect({ code, stderr, failed: lines.filter((l) => /^(FAIL|SKIP) /.test(l)) }).toEqual({
      code: 0,
      stderr: '',
      failed: [],
    });
    expect(lines[0]).toMatch(
      /^tenants: one shared tenant, --api-key, .*\(the implementation refuses random keys\); --allow-reset: it is reset/,
    );
    expect(lines[lines.length - 1]).toBe(`${catalogue.length} passed, 0 failed, 0 skipped`);
    expect(lines[lines.length - 3]).toMatch(/^\d+ checks against .* in \d+\.\d\d s$/);
    expect(lines[lines.length - 2]).toMatch(/^coverage: \d+ of \d+ documented \(operation, status\) pairs exercised; /);
    expect(lines.filter((l) => /^PASS /.test(l))).toHaveLength(catalogue.length);

    const cases = findAll(parseXml(readFileSync(junit, 'utf8')), 'testcase');
    expect(cases).toHaveLength(catalogue.length);
    expect(cases.map((c) => c.attributes.name.split(' ')[0]).sort()).toEqual(catalogue.map((c) => c.id).sort());
    expect(
      cases.every(
        (c) => c.attributes.classname === catalogue.find((k) => c.attributes.name.startsWith(`${k.id} `))?.category,
      ),
    ).toBe(true);
    expect(existsSync(html) && readFileSync(html, 'utf8')).toMatch(/^<!doctype html>/);
    const report = JSON.parse(readFileSync(json, 'utf8'));
    expect([report.summary, report.tenantMode]).toEqual([
      { passed: catalogue.length, failed: 0, skipped: 0 },
      'shared',
    ]);
  }, 60_000);

  it('runs programmatically with a fresh tenant per check where any key is accepted, skipping only the wrong-key checks', async () => {
    const run = await runConformance({ baseUrl: open!.url, apiKey: 'anything' });
    const notPassed = run.checks
      .filter((c) => c.status !== 'passed')
      .map((c) => [c.id, c.status, c.failures.map((f) => f.message)]);
    expect(notPassed).toEqual([
      ['AUTH-WRONG-KEY-401', 'skipped', []],
      ['AUTH-WRONG-KEY-SANDBOX-401', 'skipped', []],
    ]);
    expect(run.tenantMode).toBe('fresh');
  }, 60_000);

  it('catches one subtle fault in an otherwise conforming implementation', async () => {
    // A proxy that drops Location from the 201 and forgets the single-use rule's code.
    const proxy = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const upstream = await fetch(`${open!.url}${req.url}`, {
        method: req.method,
        headers: req.headers as Record<string, string>,
        body: chunks.length ? Buffer.concat(chunks) : undefined,
      });
      const headers: Record<string, string> = {};
      upstream.headers.forEach((value, name) => {
        if (!['location', 'content-length', 'transfer-encoding', 'connection'].includes(name)) headers[name] = value;
      });
      let body = await upstream.text();
      if (upstream.status === 409) body = body.replace('SLOT_ALREADY_USED', 'ILLEGAL_TRANSITION');
      res.writeHead(upstream.status, headers).end(body);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const run = await runConformance({
        baseUrl: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
        apiKey: 'anything',
        only: ['SLOT-SINGLE-USE-409', 'SLOT-CHECK-200', 'JOB-SPEC-EXAMPLES-201'],
      });
      expect(run.checks.map((c) => [c.id, c.status])).toEqual([
        ['JOB-SPEC-EXAMPLES-201', 'failed'],
        ['SLOT-CHECK-200', 'passed'],
        ['SLOT-SINGLE-USE-409', 'failed'],
      ]);
      expect(run.checks[0].failures.map((f) => f.received)).toContainEqual(['required header location is missing']);
      expect(run.checks[2].failures).toContainEqual(
        expect.objectContaining({
          expected: { status: 409, code: 'SLOT_ALREADY_USED' },
          received: expect.objectContaining({ status: 409 }),
        }),
      );
    } finally {
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
  }, 60_000);

  it('runs only the contract level when asked, never calling /sandbox', async () => {
    const run = await runConformance({
      baseUrl: open!.url,
      apiKey: 'anything',
      level: 'contract',
      skip: ['AUTH-WRONG-KEY-401'],
    });
    expect(run.summary.failed).toBe(0);
    expect(run.checks.every((c) => c.level === 'contract')).toBe(true);
    expect(
      run.checks.flatMap((c) => c.exchanges).filter((e) => new URL(e.request.url).pathname.startsWith('/sandbox')),
    ).toEqual([]);
  }, 60_000);
});

describe('lastmile conform against a broken implementation', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    // Answers everything with 200 and an empty object: no key, no validation, no contract.
    server = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('fails, exits 1, and shows expected, received and a curl that reproduces the call', async () => {
    const { code, stdout } = await conform([
      '--base-url',
      url,
      '--api-key',
      'k',
      '--only',
      'auth',
      '--level',
      'contract',
    ]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^FAIL AUTH-MISSING-KEY-401 /m);
    expect(stdout).toContain('expected: {"status":401,"code":"UNAUTHORIZED"}');
    expect(stdout.match(/reproduce: curl/g)).toHaveLength(1);
    expect(stdout).toMatch(/reproduce: curl -sS -i -X POST 'http:\/\/127\.0\.0\.1:\d+\/jobs\/availability\/v2'/);
    // Every call of the failed check, as a script in a file of its own.
    const replay = /^ {5}replay: sh (\S+) {3}\((\d+) calls, in order\)$/m.exec(stdout);
    expect(replay).not.toBeNull();
    const script = readFileSync(replay![1], 'utf8');
    expect(script).toMatch(/^#!\/bin\/sh\n# lastmile conform --only AUTH-MISSING-KEY-401: /);
    expect(script.split('\n').filter((line) => line.startsWith('curl '))).toHaveLength(Number(replay![2]));
    expect(stdout).toMatch(/^SKIP AUTH-WRONG-KEY-401 /m);
    expect(stdout.trim().split('\n').pop()).toBe('0 passed, 1 failed, 1 skipped');
  }, 30_000);

  it('refuses a check name that does not exist with a usage error', async () => {
    const { code, stderr } = await conform(['--base-url', url, '--api-key', 'k', '--only', 'NO-SUCH-CHECK']);
    expect(code).toBe(2);
    expect(stderr).toContain('no check id or category named no-such-check');
  }, 30_000);
});
