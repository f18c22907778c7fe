/**
 * `lastmile conform --wait-for`: the run starts once the base URL answers, and stops with
 * status 2 and the reason when it never does. No test sleeps: the late server is started
 * when the command says it is waiting.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { NoAnswerError, waitForAnswer } from './wait';

const BIN = join(__dirname, '..', '..', 'bin', 'lastmile.js');

/** A loopback port that nothing listens on (taken and released). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
}

function lastmile(args: string[], more: string[] = [], onStdout?: (text: string) => void) {
  const child = spawn(process.execPath, [BIN, ...args, ...more], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    onStdout?.(stdout);
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.once('close', (code) => resolve({ code, stdout, stderr })),
  );
  return { child, done };
}

describe('waitForAnswer', () => {
  it('resolves once the URL gives any HTTP answer, whatever its status', async () => {
    const port = await freePort();
    const server = createServer((_req, res) => res.writeHead(503).end());
    try {
      const waited = waitForAnswer(`http://127.0.0.1:${port}`, 60, { onWaiting: () => void listen(server, port) });
      await expect(waited).resolves.toBeGreaterThan(0);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('gives up after the time allowed, with the cause of the last try', async () => {
    const port = await freePort();
    const failure = await waitForAnswer(`http://127.0.0.1:${port}`, 1).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(NoAnswerError);
    expect(failure).toHaveProperty(
      'message',
      expect.stringMatching(/no HTTP answer from http:\/\/127\.0\.0\.1:\d+ within 1 s \(last try: ECONNREFUSED/),
    );
  });
});

describe('lastmile conform --wait-for', () => {
  /** Commands run from the sources (compiled at start-up): slow on a busy machine. */
  const TWO_PROCESSES_TIMEOUT_MS = 180_000;
  const ONE_PROCESS_TIMEOUT_MS = 90_000;

  it(
    'waits for a server that starts late, then runs the checks',
    async () => {
      const port = await freePort();
      const children: ChildProcess[] = [];
      let served: Promise<unknown> | undefined;
      const run = lastmile(
        ['conform', '--base-url', `http://127.0.0.1:${port}`, '--api-key', 'late-key', '--only', 'auth'],
        ['--level', 'contract', '--wait-for', '120'],
        (stdout) => {
          if (served || !stdout.includes('waiting up to 120 s')) return;
          const server = spawn(process.execPath, [BIN, 'serve', '--port', String(port), '--log-level', 'silent'], {
            stdio: 'ignore',
          });
          children.push(server);
          served = new Promise((resolve) => server.once('close', resolve));
        },
      );
      children.push(run.child);
      try {
        const { code, stdout } = await run.done;
        expect(stdout).toMatch(/waiting up to 120 s for http:\/\/127\.0\.0\.1:\d+ to answer \(ECONNREFUSED/);
        expect(stdout).toMatch(/answered after \d+\.\d s/);
        expect(stdout).toMatch(/\d+ passed, 0 failed/);
        expect(code).toBe(0);
      } finally {
        for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        await served;
      }
    },
    TWO_PROCESSES_TIMEOUT_MS,
  );

  it(
    'exits 2 with the reason when the URL never answers',
    async () => {
      const port = await freePort();
      const { code, stderr } = await lastmile(
        ['conform', '--base-url', `http://127.0.0.1:${port}`, '--api-key', 'k'],
        ['--wait-for', '1'],
      ).done;
      expect(code).toBe(2);
      expect(stderr).toMatch(/no HTTP answer from http:\/\/127\.0\.0\.1:\d+ within 1 s \(last try: ECONNREFUSED/);
    },
    ONE_PROCESS_TIMEOUT_MS,
  );

  it.each(['abc', '0'])(
    'refuses --wait-for %s as a usage error',
    async (value) => {
      const { code, stderr } = await lastmile(
        ['conform', '--base-url', 'http://127.0.0.1:9', '--api-key', 'k'],
        [`--wait-for=${value}`],
      ).done;
      expect(code).toBe(2);
      expect(stderr).toMatch(/--wait-for must be an integer ≥ 1/);
    },
    ONE_PROCESS_TIMEOUT_MS,
  );
});
