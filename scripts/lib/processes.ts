/**
 * Servers the benchmark and soak scripts start, each in its own process. Output goes to a
 * log file, as a deployment's would, rather than through a pipe this process must drain:
 * draining takes CPU from the load generator and the server on the same cores.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');
export const SANDBOX_READY = /Sandbox listening on (http:\/\/\S+)/;

export interface Child {
  url: string;
  proc: ChildProcess;
  logPath: string;
}

const logDir = mkdtempSync(join(tmpdir(), 'lastmile-scripts-'));
const started: ChildProcess[] = [];
let count = 0;

/** `node <args>` from the project root; resolves with the URL once `ready` matches its output. */
export function startProcess(args: string[], ready: RegExp, label: string, timeoutMs = 60_000): Promise<Child> {
  const logPath = join(logDir, `${label}-${count++}.log`);
  const log = openSync(logPath, 'w');
  const proc = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', log, log] });
  closeSync(log);
  started.push(proc);
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + timeoutMs;
    const poll = setInterval(() => {
      const out = readFileSync(logPath, 'utf8');
      const match = ready.exec(out);
      if (match) {
        clearInterval(poll);
        resolve({ url: match[1], proc, logPath });
      } else if (Date.now() > deadline) {
        clearInterval(poll);
        reject(new Error(`${label} did not start: ${out.slice(-500)}`));
      }
    }, 25);
    proc.on('exit', (code) => {
      clearInterval(poll);
      reject(new Error(`${label} exited ${code}: ${readFileSync(logPath, 'utf8').slice(-500)}`));
    });
  });
}

/** `lastmile serve --port 0` with extra flags, from this checkout or another's `root`. */
export function startSandbox(flags: string[] = [], label = 'sandbox', root = ROOT): Promise<Child> {
  return startProcess([join(root, 'bin', 'lastmile.js'), 'serve', '--port', '0', ...flags], SANDBOX_READY, label);
}

/** SIGTERM, then SIGKILL if it lingers. */
export function stopProcess(child: Child, graceMs = 5000): Promise<void> {
  return new Promise((resolve) => {
    child.proc.removeAllListeners('exit');
    if (child.proc.exitCode !== null || child.proc.signalCode !== null) return resolve();
    const kill = setTimeout(() => child.proc.kill('SIGKILL'), graceMs);
    kill.unref();
    child.proc.on('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.proc.kill('SIGTERM');
  });
}

/** Every process still running is killed (for a script that fails half-way). */
export function killAll(): void {
  for (const proc of started) if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
}

/** The one helper for a port free right now, for servers that need theirs up front (Prism). */
export { freePort } from '../../test/support/ports';
