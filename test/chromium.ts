/**
 * The browser tests drive Debian's Chromium. On a machine without it, `npm test` installs
 * it when it can (root and apt-get, as .ci/run does), and otherwise stops before any test
 * with the one command to run, instead of failing in a hook timeout.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const INSTALL_COMMAND = 'sudo apt-get update && sudo apt-get install -y chromium';

export interface ChromiumHost {
  path: string;
  exists(path: string): boolean;
  isRoot(): boolean;
  hasAptGet(): boolean;
  /** Runs a command with the terminal attached; returns its exit status. */
  run(command: string, args: string[]): number;
  log(message: string): void;
}

export class ChromiumMissing extends Error {}

function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try { accessSync(join(dir, command), constants.X_OK); return true; } catch { return false; }
  });
}

export const realHost: ChromiumHost = {
  path: CHROMIUM_PATH,
  exists: existsSync,
  isRoot: () => typeof process.getuid === 'function' && process.getuid() === 0,
  hasAptGet: () => onPath('apt-get'),
  run: (command, args) => spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }).status ?? 1,
  log: (message) => process.stderr.write(`${message}\n`),
};

/** Returns once Chromium is there (installing it if this machine allows); throws ChromiumMissing with the command otherwise. */
export function ensureChromium(host: ChromiumHost): void {
  if (host.exists(host.path)) return;
  const how = `The browser tests need Chromium at ${host.path}. Run:\n\n  ${INSTALL_COMMAND}\n\n(or set CHROMIUM_PATH to a Chromium or Chrome binary), then npm test again.`;
  if (!host.isRoot() || !host.hasAptGet()) throw new ChromiumMissing(how);
  host.log(`Chromium is missing at ${host.path}: installing Debian's chromium package (apt-get), as .ci/run does.`);
  const ok = host.run('apt-get', ['update']) === 0 && host.run('apt-get', ['install', '-y', 'chromium']) === 0;
  if (!ok || !host.exists(host.path)) throw new ChromiumMissing(`Installing chromium with apt-get failed. ${how}`);
}
