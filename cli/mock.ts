import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { SPEC_PATH } from '../spec/contract';

/** An optional peer dependency of the package: only `lastmile mock` needs it, and it is large. */
export const PRISM_PACKAGE = '@stoplight/prism-cli';
const PRISM_VERSION = '5.14.2';

/** Prism's entry point, resolved (not joined to this file's folder: the build runs this module from dist/). */
export function prismBin(): string {
  try {
    return require.resolve(`${PRISM_PACKAGE}/dist/index.js`);
  } catch {
    throw new Error(
      `lastmile mock runs Prism, which is not installed: npm install --save-dev ${PRISM_PACKAGE}@${PRISM_VERSION}`,
    );
  }
}
/** Preloaded into Prism: one request whose property names Node cannot put in a header must not end the mock. */
export const PRISM_HEADER_GUARD = join(__dirname, 'prism-header-guard.js');

export const MOCK_PORT_ENV = 'LASTMILE_MOCK_PORT';
export const DEFAULT_MOCK_PORT = 4010;

export interface MockOptions {
  port: number;
  host: string;
  dynamic?: boolean;
  errors?: boolean;
}

/** Starts `prism mock` on the spec. The child is prism's own node process, so killing it stops the server. */
export function startPrismMock(options: MockOptions, stdio: 'inherit' | 'pipe' = 'inherit'): ChildProcess {
  const args = [
    '--require',
    PRISM_HEADER_GUARD,
    prismBin(),
    'mock',
    SPEC_PATH,
    '--port',
    String(options.port),
    '--host',
    options.host,
  ];
  if (options.dynamic) args.push('--dynamic');
  if (options.errors) args.push('--errors');
  return spawn(process.execPath, args, { stdio });
}

/** `--port` (or LASTMILE_MOCK_PORT): an integer from 0 (any free port) to 65535, refused here rather than by Prism. */
export function parseMockPort(raw: string): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n > 65535) {
    throw new InvalidArgumentError(`--port must be an integer from 0 to 65535 (0: any free port), got '${raw}'`);
  }
  return n;
}

/** Why Prism could not listen there, in one line; null for a failure of another kind. */
export function listenProblem(code: string | undefined, port: number, host: string): string | null {
  switch (code) {
    case 'EADDRINUSE':
      return `port ${port} on ${host} is in use; try --port 0 or another port`;
    case 'EACCES':
      return `port ${port} on ${host} needs privileges; try --port 0 or a port above 1023`;
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot listen on ${host}: no such local interface; try --host 127.0.0.1`;
    default:
      return null;
  }
}

/** Binds and releases the address, so that a port in use is refused before Prism starts (and prints its own usage). */
export function checkCanListen(port: number, host: string): Promise<void> {
  if (port === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => {
      const problem = listenProblem(error.code, port, host);
      reject(new Error(problem ?? `cannot listen on ${host}:${port}: ${error.message}`));
    });
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve()));
  });
}

const LISTENING = /Prism is listening on/;

/**
 * Runs Prism in the foreground. Its output is held back until it listens: a failure to
 * start (the port taken between the check and Prism's own bind) becomes one line, not
 * Prism's usage text and stack; once listening, its log passes straight through.
 * Resolves with Prism's exit code.
 */
export function runPrismMock(options: MockOptions): Promise<number> {
  const child = startPrismMock(options, 'pipe');
  const stop = () => child.kill('SIGTERM');
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let held = '';
  let listening = false;
  const hold = (target: NodeJS.WriteStream) => (chunk: Buffer) => {
    if (listening) {
      target.write(chunk);
      return;
    }
    held += chunk.toString('utf8');
    if (LISTENING.test(held)) {
      listening = true;
      process.stdout.write(held);
      held = '';
    }
  };
  child.stdout!.on('data', hold(process.stdout));
  child.stderr!.on('data', hold(process.stderr));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      if (listening) return resolve(code ?? 0);
      const errno = /\b(EADDRINUSE|EACCES|EADDRNOTAVAIL|ENOTFOUND|EAI_AGAIN)\b/.exec(held)?.[1];
      const problem = listenProblem(errno, options.port, options.host);
      if (problem) return reject(new Error(problem));
      process.stderr.write(held);
      resolve(code ?? 1);
    });
  });
}

export function registerMock(program: Command): void {
  program
    .command('mock')
    .description('Serve a stateless mock of the spec with Prism (examples only: no state, no clock, no webhooks)')
    .addOption(
      new Option('--port <port>', 'port to listen on (0: any free port)')
        .env(MOCK_PORT_ENV)
        .argParser(parseMockPort)
        .default(DEFAULT_MOCK_PORT),
    )
    .addOption(new Option('--host <host>', 'interface to listen on').env('LASTMILE_HOST').default('127.0.0.1'))
    .option('--dynamic', 'generate responses from schemas instead of serving the examples', false)
    .option('--errors', "answer requests that break the spec with the spec's error responses", false)
    .action(async (opts: MockOptions) => {
      // Without Prism nothing else is worth checking.
      prismBin();
      await checkCanListen(opts.port, opts.host);
      process.exitCode = await runPrismMock(opts);
    });
}
