/**
 * The reference server as a user starts it (`lastmile serve` in a process of its own, on an
 * ephemeral loopback port), for tests of code that must reach a server over HTTP only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const BIN = join(__dirname, '..', '..', 'bin', 'lastmile.js');
/** Start-up compiles TypeScript in place; on a loaded machine that takes seconds. */
export const SERVE_STARTUP_TIMEOUT_MS = 30_000;

export interface ServedProcess {
  url: string;
  /** What it printed on start-up. */
  banner: string;
  close(): Promise<void>;
  /** Sends a signal (SIGKILL: no shutdown at all). */
  kill(signal: NodeJS.Signals): void;
  /** Resolves once the process has exited, however. */
  exited: Promise<void>;
}

export function serve(args: string[] = []): Promise<ServedProcess> {
  const child = spawn(
    process.execPath,
    [BIN, 'serve', '--port', '0', '--host', '127.0.0.1', '--log-level', 'silent', ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`lastmile serve exited with ${code}: ${out}${err}`));
    };
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      child.kill('SIGKILL');
      reject(new Error(`lastmile serve did not start within ${SERVE_STARTUP_TIMEOUT_MS} ms: ${out}${err}`));
    }, SERVE_STARTUP_TIMEOUT_MS);
    child.stderr.on('data', (chunk) => {
      err += chunk;
    });
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/i.exec(out);
      if (!match) return;
      clearTimeout(timer);
      child.off('exit', onExit);
      const exited =
        child.exitCode !== null || child.signalCode !== null
          ? Promise.resolve()
          : new Promise<void>((done) => child.once('exit', () => done()));
      resolve({ url: match[1], banner: out, close: () => stop(child), kill: (signal) => child.kill(signal), exited });
    });
    child.once('exit', onExit);
  });
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
