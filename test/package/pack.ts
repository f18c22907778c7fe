/**
 * Packs the package as `npm pack` would publish it, and installs the tarball into a fresh
 * project as a user would, from the local npm cache only (no network). The clone is copied
 * first, so packing (which builds at `prepack`) never rewrites the dist/ of the clone. When the
 * clone's build is current (as after `npm ci`, which builds it), the copy takes it and packs it
 * as it is, without building it a second time.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { promisify } from 'node:util';

export const ROOT = join(__dirname, '..', '..');
const run = promisify(execFile);
const { staleBuild } = require('../../scripts/build-freshness.js') as { staleBuild: () => string | null };

/** Left out of the copy: what the clone has but a fresh checkout would not, and what packing makes. */
const NOT_COPIED = new Set(['node_modules', 'dist', '.git', 'reports', 'coverage']);

/** npm's own variables of the `npm test` that runs this, which would steer the npm commands run here. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !/^npm_/i.test(name) && name !== 'LASTMILE_FROM_SOURCE' && name !== 'INIT_CWD',
    ),
  );
  return { ...env, ...extra };
}

export interface PackedFile {
  path: string;
  size: number;
}
export interface Packed {
  tarball: string;
  integrity: string;
  files: PackedFile[];
  size: number;
  unpackedSize: number;
  ms: number;
}

export async function pack(into: string): Promise<Packed> {
  const stage = join(into, 'stage');
  cpSync(ROOT, stage, {
    recursive: true,
    filter: (source) => !NOT_COPIED.has(relative(ROOT, source).split('/')[0]) || relative(ROOT, source) === '',
  });
  symlinkSync(join(ROOT, 'node_modules'), join(stage, 'node_modules'), 'dir');
  const current = staleBuild() === null;
  if (current) cpSync(join(ROOT, 'dist'), join(stage, 'dist'), { recursive: true });
  const started = Date.now();
  const scripts = current ? ['--ignore-scripts'] : [];
  const { stdout } = await run('npm', ['pack', '--json', ...scripts, '--pack-destination', into], {
    cwd: stage,
    env: cleanEnv(),
    maxBuffer: 64 * 1024 * 1024,
  });
  const ms = Date.now() - started;
  // prepack's build prints to stdout too; the JSON report is the last thing written.
  const [report] = JSON.parse(stdout.slice(stdout.lastIndexOf('\n[\n') + 1)) as Array<{
    filename: string;
    integrity: string;
    files: PackedFile[];
    size: number;
    unpackedSize: number;
  }>;
  return {
    tarball: join(into, report.filename),
    integrity: report.integrity,
    files: report.files,
    size: report.size,
    unpackedSize: report.unpackedSize,
    ms,
  };
}

export interface Installed {
  dir: string;
  packages: number;
  ms: number;
}

/**
 * A new project with nothing but the tarball installed, offline. A fresh machine's npm cache
 * holds what `npm ci` downloaded (tarballs, not the registry's metadata), so the project gets a
 * lockfile pinning what the clone's pins (consumerLock) and installs with `npm ci --offline`.
 */
export async function install(packed: Packed, into: string): Promise<Installed> {
  const dir = join(into, 'consumer');
  mkdirSync(dir);
  const spec = `file:../${basename(packed.tarball)}`;
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, dependencies: { 'lastmile-kit': spec } }, null, 2)}\n`,
  );
  writeFileSync(join(dir, 'package-lock.json'), `${JSON.stringify(consumerLock(spec, packed.integrity), null, 2)}\n`);
  const started = Date.now();
  await run('npm', ['ci', '--offline', '--no-audit', '--no-fund'], {
    cwd: dir,
    env: cleanEnv(),
    maxBuffer: 16 * 1024 * 1024,
  });
  const ms = Date.now() - started;
  const lock = JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, unknown>;
  };
  return { dir, packages: Object.keys(lock.packages).filter((path) => path !== '').length, ms };
}

export const tempDir = (): string => mkdtempSync(join(tmpdir(), 'lastmile-package-'));
export const consumerFiles = (): string[] => readdirSync(join(__dirname, 'consumer'));

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  license?: string;
  link?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  dev?: boolean;
  devOptional?: boolean;
  optional?: boolean;
  peer?: boolean;
  [field: string]: unknown;
}

/** Where Node finds `name` from the package installed at `from` (a lockfile path): its own node_modules, then each parent's. */
function resolveIn(packages: Record<string, LockEntry>, from: string, name: string): string | undefined {
  const parts = from === '' ? [] : from.split('/node_modules/');
  for (let depth = parts.length; depth >= 0; depth--) {
    const base = parts.slice(0, depth).join('/node_modules/');
    const path = base === '' ? `node_modules/${name}` : `${base}/node_modules/${name}`;
    if (packages[path]) return path;
  }
  return undefined;
}

const REGISTRY = 'https://registry.npmjs.org/';
/** The registry's tarball URL of a package version, as npm names it: `@scope/name/-/name-1.0.0.tgz`. */
const tarballUrl = (name: string, version: string) => `${REGISTRY}${name}/-/${name.split('/').pop()}-${version}.tgz`;

/**
 * A lockfile for a project that depends on the tarball alone: the package's runtime
 * dependencies as the clone's lockfile pins them (the same versions and integrity, which the
 * npm cache holds since `npm ci`), so `npm ci --offline` needs no registry metadata.
 */
export function consumerLock(tarballSpec: string, integrity: string): object {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const root = lock.packages[''] as LockEntry & { name: string; bin?: unknown; engines?: unknown };
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as LockEntry & {
    name: string;
    bin: unknown;
    engines: unknown;
  };
  const packages: Record<string, LockEntry> = {
    '': { name: 'consumer', version: '1.0.0', dependencies: { [manifest.name]: tarballSpec } },
    [`node_modules/${manifest.name}`]: {
      version: manifest.version,
      resolved: tarballSpec,
      integrity,
      license: manifest.license,
      dependencies: manifest.dependencies,
      bin: manifest.bin,
      engines: manifest.engines,
      peerDependencies: manifest.peerDependencies,
      peerDependenciesMeta: manifest.peerDependenciesMeta,
    },
  };
  const queue: Array<[string, LockEntry]> = [['', root]];
  while (queue.length) {
    const [from, entry] = queue.shift()!;
    const optionalPeers = new Set(
      Object.entries(entry.peerDependenciesMeta ?? {})
        .filter(([, meta]) => meta.optional)
        .map(([name]) => name),
    );
    const wanted = [
      ...Object.keys(from === '' ? (manifest.dependencies ?? {}) : (entry.dependencies ?? {})),
      ...Object.keys(entry.optionalDependencies ?? {}),
      ...Object.keys(entry.peerDependencies ?? {}).filter((name) => !optionalPeers.has(name)),
    ];
    for (const name of wanted) {
      const path = resolveIn(lock.packages, from, name);
      if (!path || packages[path]) continue;
      const { dev, devOptional, peer, ...kept } = lock.packages[path];
      void dev;
      void devOptional;
      void peer;
      // The clone's lockfile leaves out the registry's tarball URLs; without one npm asks the registry.
      packages[path] = {
        resolved: tarballUrl(
          path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length),
          kept.version as string,
        ),
        ...kept,
      };
      queue.push([path, lock.packages[path]]);
    }
  }
  return { name: 'consumer', version: '1.0.0', lockfileVersion: 3, requires: true, packages };
}
