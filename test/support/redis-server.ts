/**
 * Test-only: a real redis-server of the test's own, on a free loopback port, in a temp
 * folder, stopped by the test; or a Redis Cluster of three masters, made of three of them
 * (`redis-cli --cluster create`). Debian's `redis-server` package (or REDIS_SERVER_PATH and
 * REDIS_CLI_PATH).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { promisify } from 'node:util';
import { freePort } from './ports';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REDIS_SERVER = process.env.REDIS_SERVER_PATH ?? '/usr/bin/redis-server';
export const REDIS_CLI = process.env.REDIS_CLI_PATH ?? '/usr/bin/redis-cli';
const START_TIMEOUT_MS = 20_000;

export interface RunningRedis {
  /** What `--store` takes: `redis://…`, or `redis-cluster://…` naming every master. */
  url: string;
  /** The (first) node's port. */
  port: number;
  /** Stops it (SIGTERM), keeping its folder, so that `start` brings the same data back with --appendonly. */
  pause(): Promise<void>;
  /** Starts it again on the same port and folder (with `extra` arguments for redis-server, such as a slow load). */
  resume(extra?: string[]): Promise<void>;
  /** Stops it and removes its folder. */
  stop(): Promise<void>;
}

function launch(port: number, dir: string, appendOnly: boolean, extra: string[] = []): Promise<ChildProcess> {
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
  args.push(...extra);
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
    async resume(extra: string[] = []) {
      child ??= await launch(port, dir, options.appendOnly ?? false, extra);
    },
    async stop() {
      await pause();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const CLUSTER_MASTERS = 3;
const HASH_SLOTS = 16384;
const run = promisify(execFile);

/**
 * A Redis Cluster of three masters, no replicas, on free loopback ports (each node's bus on
 * a free port too, `--cluster-port`: the default, port + 10000, may not exist). `pause` and
 * `resume` stop and start every node, which keep their cluster config (and, with
 * `appendOnly`, their data) in their folders. Suites that only need a cluster, not one of
 * their own to stop or restart, take the run's shared one: `sharedRedisCluster()`.
 */
export async function startRedisCluster(options: { appendOnly?: boolean } = {}): Promise<RunningRedis> {
  const cluster = await launchRedisCluster(options);
  try {
    await clusterReady(cluster.ports);
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}

/**
 * The nodes started, every hash slot assigned and the nodes introduced to each other, without
 * waiting for `cluster_state:ok`: a new master holds that back for two seconds, which the
 * caller may spend on other work (see `clusterReady`).
 */
async function launchRedisCluster(options: { appendOnly?: boolean }): Promise<RunningRedis & { ports: number[] }> {
  const root = mkdtempSync(join(tmpdir(), 'lastmile-redis-cluster-'));
  const ports: number[] = [];
  const busPorts: number[] = [];
  // One at a time: two probes at once may be handed the same port.
  for (let i = 0; i < 2 * CLUSTER_MASTERS; i++) {
    let port = await freePort();
    while (ports.includes(port) || busPorts.includes(port)) port = await freePort();
    (i < CLUSTER_MASTERS ? ports : busPorts).push(port);
  }
  const launchAll = () =>
    Promise.all(
      ports.map((port, i) => {
        const dir = join(root, String(port));
        mkdirSync(dir, { recursive: true });
        return launch(port, dir, options.appendOnly ?? false, [
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          join(dir, 'nodes.conf'),
          '--cluster-port',
          String(busPorts[i]),
          '--cluster-node-timeout',
          '5000',
        ]);
      }),
    );
  let children: ChildProcess[] | null = await launchAll();
  const stopAll = async () => {
    if (!children) return;
    const stopping = children.map(ended);
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(stopping);
    children = null;
  };
  try {
    // What `redis-cli --cluster create` does, without its one-second waits for the nodes to agree.
    const share = Math.ceil(HASH_SLOTS / CLUSTER_MASTERS);
    await Promise.all(
      ports.map((port, i) =>
        cli(port, 'cluster', 'addslotsrange', i * share, Math.min(HASH_SLOTS, (i + 1) * share) - 1),
      ),
    );
    await Promise.all(
      ports.slice(1).map((port, i) => cli(ports[0], 'cluster', 'meet', '127.0.0.1', port, busPorts[i + 1])),
    );
  } catch (error) {
    await stopAll();
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
  return {
    url: clusterUrl(ports),
    port: ports[0],
    ports,
    pause: stopAll,
    async resume() {
      children ??= await launchAll();
      await clusterReady(ports);
    },
    async stop() {
      await stopAll();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** One redis-cli command to the node on `port`; its answer, or an error if Redis refused it. */
async function cli(port: number, ...args: Array<string | number>): Promise<string> {
  const { stdout } = await run(REDIS_CLI, ['-p', String(port), ...args.map(String)]);
  if (stdout.startsWith('ERR') || stdout.startsWith('(error)'))
    throw new Error(`redis-cli -p ${port} ${args.join(' ')}: ${stdout.trim()}`);
  return stdout;
}

const clusterUrl = (ports: number[]) => `redis-cluster://${ports.map((port) => `127.0.0.1:${port}`).join(',')}`;

/** Until every node says `cluster_state:ok` (bounded: 200 looks, 50 ms apart). */
async function clusterReady(ports: number[]): Promise<void> {
  for (let look = 0; look < 200; look++) {
    const states = await Promise.all(ports.map((port) => cli(port, 'cluster', 'info').catch(() => '')));
    if (states.every((info) => info.includes('cluster_state:ok'))) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the Redis Cluster on ports ${ports.join(', ')} did not reach cluster_state:ok`);
}

/** Where the jest run's shared cluster is (its `redis-cluster://` URL), set by test/global-setup.ts. */
export const SHARED_CLUSTER_VARIABLE = 'LASTMILE_TEST_REDIS_CLUSTER';

/**
 * For the global set-up: the cluster every suite of the run shares, its address in
 * SHARED_CLUSTER_VARIABLE (the workers inherit it); returns once its nodes are introduced,
 * not yet ready: each suite waits for that itself. Stopped by the global teardown.
 */
export async function startSharedRedisCluster(): Promise<RunningRedis> {
  const cluster = await launchRedisCluster({});
  process.env[SHARED_CLUSTER_VARIABLE] = cluster.url;
  return cluster;
}

/**
 * The run's shared Redis Cluster, once ready. Three masters take seconds to form, so the run
 * starts one (test/global-setup.ts, for the suites in its CLUSTER_TESTS) and each suite keeps
 * to key prefixes of its own; a suite may not stop or restart it (`stop` leaves it running).
 * Run without that set-up, the suite gets a cluster of its own, which `stop` stops.
 */
export async function sharedRedisCluster(): Promise<RunningRedis> {
  const url = process.env[SHARED_CLUSTER_VARIABLE];
  if (!url) return startRedisCluster();
  const ports = url
    .slice('redis-cluster://'.length)
    .split(',')
    .map((node) => Number(node.split(':')[1]));
  await clusterReady(ports);
  const shared = () => Promise.reject(new Error('the shared Redis Cluster is not to be paused: start one of your own'));
  return { url, port: ports[0], pause: shared, resume: shared, stop: () => Promise.resolve() };
}
