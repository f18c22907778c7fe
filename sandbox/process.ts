/**
 * A sandbox in a child process (`lastmile serve` of this package), for a test runner's global
 * setup: one server for the whole run, outside the runner's own process and module system.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DEFAULT_API_KEY } from '../server/config';
import { envVariableOf, readSettings, type SandboxOptions, type SettingName } from './options';

export interface SpawnedSandbox {
  readonly url: string;
  readonly apiKey: string;
  readonly pid: number;
  /** Stops the server (SIGTERM, which lets due webhooks go out) and waits for the process to end. */
  close(): Promise<void>;
}

/** The package's `lastmile` command, from the sources or from dist/. */
function lastmileBin(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const bin = join(dir, 'bin', 'lastmile.js');
    if (existsSync(bin)) return bin;
  }
  throw new Error(`bin/lastmile.js not found above ${__dirname}`);
}

const BANNER = /Sandbox listening on (\S+)/;

/**
 * Starts `lastmile serve` as a child process with these settings (the same names and checks
 * as startSandbox; `port` defaults to 0 and `logLevel` to `silent`) and resolves once it listens.
 */
export async function spawnSandbox(options: SandboxOptions = {}): Promise<SpawnedSandbox> {
  const { config, text } = readSettings({ port: 0, logLevel: 'silent', ...options });
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [name, raw] of Object.entries(text) as Array<[SettingName, string]>) env[envVariableOf(name)] = raw;
  if (config.apiKeys === null) delete env[envVariableOf('apiKeys')];
  const child = spawn(process.execPath, [lastmileBin(), 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const apiKey = config.apiKeys?.[0] ?? DEFAULT_API_KEY;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise<SpawnedSandbox>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const onOutput = (chunk: string) => {
      stdout += chunk;
      const match = BANNER.exec(stdout);
      if (!match) return;
      child.stdout.off('data', onOutput);
      child.off('exit', onEarlyExit);
      // Keep draining: a full pipe would stop the server's logging, and with it the server.
      child.stdout.resume();
      resolve({
        url: match[1],
        apiKey,
        pid: child.pid as number,
        async close() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          await exited;
        },
      });
    };
    const onEarlyExit = (code: number | null, signal: string | null) => {
      reject(
        new Error(
          `lastmile serve exited (${signal ?? `status ${code}`}) before listening${stderr ? `: ${stderr.trim()}` : ''}`,
        ),
      );
    };
    child.stdout.setEncoding('utf8').on('data', onOutput);
    child.once('exit', onEarlyExit);
    child.once('error', reject);
  });
}
