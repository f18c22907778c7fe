/**
 * Some tests drive programs from Debian's packages: the browser tests Chromium, the Redis
 * store's tests redis-server. On a machine without them, `npm test` installs them when it can
 * (root and apt-get, as .ci/run does), and otherwise stops before any test with the one
 * command to run, instead of failing in a hook timeout.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface SystemPackage {
  /** The Debian package. */
  name: string;
  /** Where the tests expect its program. */
  path: string;
  /** Who needs it, for the message. */
  neededBy: string;
  /** The environment variable that points the tests at another binary. */
  pathVariable: string;
}

export const CHROMIUM: SystemPackage = {
  name: 'chromium',
  path: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  neededBy: 'The browser tests need Chromium',
  pathVariable: 'CHROMIUM_PATH',
};
export const REDIS_SERVER: SystemPackage = {
  name: 'redis-server',
  path: process.env.REDIS_SERVER_PATH ?? '/usr/bin/redis-server',
  neededBy: "The Redis store's tests need redis-server",
  pathVariable: 'REDIS_SERVER_PATH',
};

export const installCommand = (pkg: SystemPackage) => `sudo apt-get update && sudo apt-get install -y ${pkg.name}`;

export interface Host {
  exists(path: string): boolean;
  isRoot(): boolean;
  hasAptGet(): boolean;
  /** Runs a command with the terminal attached; returns its exit status. */
  run(command: string, args: string[]): number;
  log(message: string): void;
}

export class PackageMissing extends Error {}

function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

export const realHost: Host = {
  exists: existsSync,
  isRoot: () => typeof process.getuid === 'function' && process.getuid() === 0,
  hasAptGet: () => onPath('apt-get'),
  run: (command, args) =>
    spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }).status ??
    1,
  log: (message) => process.stderr.write(`${message}\n`),
};

/** Returns once the program is there (installing its package if this machine allows); throws PackageMissing with the command otherwise. */
export function ensurePackage(host: Host, pkg: SystemPackage): void {
  if (host.exists(pkg.path)) return;
  const how = `${pkg.neededBy} at ${pkg.path}. Run:\n\n  ${installCommand(pkg)}\n\n(or set ${pkg.pathVariable} to another binary), then npm test again.`;
  if (!host.isRoot() || !host.hasAptGet()) throw new PackageMissing(how);
  host.log(`${pkg.path} is missing: installing Debian's ${pkg.name} package (apt-get), as .ci/run does.`);
  const ok = host.run('apt-get', ['update']) === 0 && host.run('apt-get', ['install', '-y', pkg.name]) === 0;
  if (!ok || !host.exists(pkg.path)) throw new PackageMissing(`Installing ${pkg.name} with apt-get failed. ${how}`);
}
