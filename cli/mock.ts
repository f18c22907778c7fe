import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Command } from 'commander';
import { SPEC_PATH } from '../spec/contract';

/** An optional peer dependency of the package: only `lastmile mock` needs it, and it is large. */
export const PRISM_PACKAGE = '@stoplight/prism-cli';
const PRISM_VERSION = '5.14.2';

/** Prism's entry point, resolved (not joined to this file's folder: the build runs this module from dist/). */
export function prismBin(): string {
  try {
    return require.resolve(`${PRISM_PACKAGE}/dist/index.js`);
  } catch {
    throw new Error(`lastmile mock runs Prism, which is not installed: npm install --save-dev ${PRISM_PACKAGE}@${PRISM_VERSION}`);
  }
}
/** Preloaded into Prism: one request whose property names Node cannot put in a header must not end the mock. */
export const PRISM_HEADER_GUARD = join(__dirname, 'prism-header-guard.js');

export interface MockOptions { port: number; host: string; dynamic?: boolean; errors?: boolean }

/** Starts `prism mock` on the spec. The child is prism's own node process, so killing it stops the server. */
export function startPrismMock(options: MockOptions, stdio: 'inherit' | 'pipe' = 'inherit'): ChildProcess {
  const args = ['--require', PRISM_HEADER_GUARD, prismBin(), 'mock', SPEC_PATH, '--port', String(options.port), '--host', options.host];
  if (options.dynamic) args.push('--dynamic');
  if (options.errors) args.push('--errors');
  return spawn(process.execPath, args, { stdio });
}

export function registerMock(program: Command): void {
  program
    .command('mock')
    .description('Serve a stateless mock of the spec with Prism (examples only: no state, no clock, no webhooks)')
    .option('--port <port>', 'port to listen on', (v) => Number.parseInt(v, 10), Number(process.env.LASTMILE_MOCK_PORT ?? 4010))
    .option('--host <host>', 'interface to listen on', process.env.LASTMILE_HOST ?? '127.0.0.1')
    .option('--dynamic', 'generate responses from schemas instead of serving the examples', false)
    .option('--errors', 'answer requests that break the spec with the spec\'s error responses', false)
    .action((opts: MockOptions) => {
      const child = startPrismMock(opts);
      const stop = () => child.kill('SIGTERM');
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      child.on('exit', (code) => { process.exitCode = code ?? 0; });
    });
}
