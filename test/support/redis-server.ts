/**
 * Test-only: a real redis-server of the test's own, on a free loopback port, in a temp
 * folder, stopped by the test. Debian's `redis-server` package (or REDIS_SERVER_PATH).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { freePort } from './ports';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REDIS_SERVER = process.env.REDIS_SERVER_PATH ?? '/usr/bin/redis-server';
const START_TIMEOUT_MS = 20_000;

export interface RunningRedis {
  url: string;
  port: number;
  /** Stops it (SIGTERM), keeping its folder, so that `start` brings the same data back with --appendonly. */
  pause(): Promise<void>;
  /** Starts it again on the same port and folder. */
  resume(): Promise<void>;
  /** Stops it and removes its folder. */
  stop(): Promise<void>;
}

function launch(port: number, dir: string, appendOnly: boolean): Promise<ChildProcess> {
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--daemonize',
    'no',
    '--protected-mode',
    'no',
  ];
  if (appendOnly) args.push('--appendonly', 'yes', '--appendfsync', 'always');
  const child = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`redis-server did not start within ${START_TIMEOUT_MS} ms:\n${output}`));
    }, START_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        resolve(child);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(
        new Error(`${REDIS_SERVER} could not run (${error.message}); install it: apt-get install -y redis-server`),
      );
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code} before it was ready:\n${output}`));
    });
  });
}

function ended(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export async function startRedis(options: { appendOnly?: boolean } = {}): Promise<RunningRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'lastmile-redis-'));
  const port = await freePort();
  let child: ChildProcess | null = await launch(port, dir, options.appendOnly ?? false);
  const pause = async () => {
    if (!child) return;
    const stopping = ended(child);
    child.kill('SIGTERM');
    await stopping;
    child = null;
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pause,
    async resume() {
      child ??= await launch(port, dir, options.appendOnly ?? false);
    },
    async stop() {
      await pause();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
