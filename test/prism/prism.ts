/**
 * Prism in a child process of its own, on a free port: the child is Prism's own node
 * process (not npx), so stopping it stops the server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { prismBin } from '../../cli/mock';

const STARTUP_TIMEOUT_MS = 30_000;
const LISTENING = /Prism is listening on (http:\/\/[^\s]+)/;

export interface RunningPrism {
  url: string;
  child: ChildProcess;
  /** Everything Prism printed, for a failing test's message. */
  output(): string;
  stop(): Promise<void>;
}

/** Waits for an already spawned Prism to say where it listens. */
export function prismReady(child: ChildProcess): Promise<RunningPrism> {
  let output = '';
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
      child.once('exit', () => {
        clearTimeout(force);
        resolve();
      });
      child.kill('SIGTERM');
    });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`Prism did not start within ${STARTUP_TIMEOUT_MS} ms:\n${output}`));
    }, STARTUP_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      // Keep reading (an unread pipe would block Prism), but keep only the start.
      if (output.length < 200_000) output += chunk.toString('utf8');
      const match = LISTENING.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ url: match[1].replace(/\/+$/, ''), child, output: () => output, stop });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`Prism exited (${code ?? signal}) before listening:\n${output}`));
    });
  });
}

/** `prism proxy <spec> <upstream>` on a free loopback port. */
export function startPrismProxy(specPath: string, upstream: string): Promise<RunningPrism> {
  const child = spawn(
    process.execPath,
    [prismBin(), 'proxy', specPath, upstream, '--port', '0', '--host', '127.0.0.1'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return prismReady(child);
}
